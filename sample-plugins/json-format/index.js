// Pretty-prints JSON with a 2-space indent by re-emitting the source tokens, so numbers such as
// 12345678901234567890 or 1.0, key order, duplicate keys and escapes survive exactly as written
// (JSON.parse + JSON.stringify would round numbers and rewrite escapes).

const INDENT = "  ";
const MAX_DEPTH = 1000; // deeper input is refused with a clear error instead of a stack overflow

function formatJson(src, eol) {
  let pos = src.charCodeAt(0) === 0xfeff ? 1 : 0; // skip a byte order mark

  function describe(at) {
    if (at >= src.length) return "end of input";
    return JSON.stringify(String.fromCodePoint(src.codePointAt(at)));
  }

  function hint(at) {
    const c = src[at];
    if (c === "'") return " (JSON strings and names use double quotes)";
    if (c === "/") return " (comments are not allowed in JSON)";
    if (c === "}" || c === "]") {
      let back = at - 1;
      while (back >= 0 && " \t\n\r".includes(src[back])) back--;
      if (src[back] === ",") return " (trailing commas are not allowed in JSON)";
    }
    return "";
  }

  function fail(expected, at = pos) {
    const before = src.slice(0, at);
    const line = before.split("\n").length;
    const column = at - (before.lastIndexOf("\n") + 1) + 1;
    throw new Error(
      `Invalid JSON at line ${line}, column ${column} (position ${at}): ` +
        `expected ${expected} but found ${describe(at)}${hint(at)}`,
    );
  }

  function skipWhitespace() {
    for (;;) {
      const c = src[pos];
      if (c === " " || c === "\t" || c === "\n" || c === "\r") pos++;
      else return;
    }
  }

  function string() {
    const start = pos;
    pos++; // opening quote
    for (;;) {
      if (pos >= src.length) fail("a closing '\"' for the string that starts at position " + start);
      const code = src.charCodeAt(pos);
      if (code === 0x22) break;
      if (code < 0x20) fail("a string character (control characters must be escaped: \\n, \\t, \\u00XX)");
      if (code === 0x5c) {
        const e = src[pos + 1];
        if (e === "u") {
          for (let k = pos + 2; k < pos + 6; k++) {
            if (!/[0-9a-fA-F]/.test(src[k] ?? "")) fail("four hex digits after \\u", k);
          }
          pos += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) fail("a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)", pos + 1);
        pos += 2;
        continue;
      }
      pos++;
    }
    pos++; // closing quote
    return src.slice(start, pos);
  }

  const isDigit = (c) => c !== undefined && c >= "0" && c <= "9";

  function digits() {
    if (!isDigit(src[pos])) fail("a digit");
    while (isDigit(src[pos])) pos++;
  }

  function number() {
    const start = pos;
    if (src[pos] === "-") pos++;
    if (src[pos] === "0") {
      pos++;
      if (isDigit(src[pos])) fail("'.', 'e' or the end of the number (JSON numbers have no leading zeros)");
    } else {
      digits();
    }
    if (src[pos] === ".") {
      pos++;
      digits();
    }
    if (src[pos] === "e" || src[pos] === "E") {
      pos++;
      if (src[pos] === "+" || src[pos] === "-") pos++;
      digits();
    }
    return src.slice(start, pos);
  }

  function value(depth) {
    skipWhitespace();
    if (depth > MAX_DEPTH) throw new Error(`JSON nested deeper than ${MAX_DEPTH} levels at position ${pos}`);
    const c = src[pos];
    if (c === "{") return container(depth, "{", "}");
    if (c === "[") return container(depth, "[", "]");
    if (c === '"') return string();
    if (c === "-" || (c >= "0" && c <= "9")) return number();
    for (const word of ["true", "false", "null"]) {
      if (src.startsWith(word, pos)) {
        pos += word.length;
        return word;
      }
    }
    return fail("a JSON value (object, array, string, number, true, false or null)");
  }

  function container(depth, open, close) {
    const isObject = open === "{";
    pos++; // opening bracket
    skipWhitespace();
    if (src[pos] === close) {
      pos++;
      return open + close;
    }
    const inner = INDENT.repeat(depth + 1);
    const items = [];
    for (;;) {
      skipWhitespace();
      let item = "";
      if (isObject) {
        if (src[pos] !== '"') fail("a property name in double quotes");
        item = string() + ": ";
        skipWhitespace();
        if (src[pos] !== ":") fail("':' after the property name");
        pos++;
      }
      items.push(inner + item + value(depth + 1));
      skipWhitespace();
      if (src[pos] === ",") {
        pos++;
        continue;
      }
      if (src[pos] === close) {
        pos++;
        break;
      }
      fail(`',' or '${close}' after ${isObject ? "a property value" : "an array element"}`);
    }
    return open + eol + items.join("," + eol) + eol + INDENT.repeat(depth) + close;
  }

  const result = value(0);
  skipWhitespace();
  if (pos < src.length) fail("end of input after the JSON value");
  return result;
}

module.exports = {
  transform(input) {
    const text = input.text;
    const eol = text.includes("\r\n") ? "\r\n" : "\n";
    return formatJson(text, eol) + (text.endsWith("\n") ? eol : "");
  },
};
