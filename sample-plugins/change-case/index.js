// Cycles every identifier in the selection to the next case: camel → snake → kebab → Pascal → camel.
// The current case is read from the first identifier whose case is unambiguous.

const CYCLE = ["camel", "snake", "kebab", "pascal"];
const LABEL = { camel: "camelCase", snake: "snake_case", kebab: "kebab-case", pascal: "PascalCase" };

// Letters and digits, optionally joined by '_' or '-'. Leading/trailing separators (`__init__`,
// `_private`) are not part of the match, so they are kept as they are.
const IDENTIFIER = /[\p{L}\p{N}]+(?:[_-]+[\p{L}\p{N}]+)*/gu;

function splitWords(identifier) {
  return identifier
    .split(/[_-]+/)
    .map((part) =>
      part
        .replace(/(\p{Ll})(\p{Lu})/gu, "$1 $2") // fooBar → foo Bar
        .replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, "$1 $2") // XMLHttp → XML Http
        .replace(/(\p{N})(\p{Lu}\p{Ll})/gu, "$1 $2"), // base64Encode → base64 Encode
    )
    .join(" ")
    .split(" ")
    .filter((word) => word !== "");
}

function capitalize(word) {
  const first = String.fromCodePoint(word.codePointAt(0));
  return first.toUpperCase() + word.slice(first.length).toLowerCase();
}

function toCase(identifier, style) {
  const words = splitWords(identifier);
  switch (style) {
    case "camel":
      return words.map((w, i) => (i === 0 ? w.toLowerCase() : capitalize(w))).join("");
    case "pascal":
      return words.map(capitalize).join("");
    case "snake":
      return words.map((w) => w.toLowerCase()).join("_");
    case "kebab":
      return words.map((w) => w.toLowerCase()).join("-");
  }
  throw new Error(`unknown case ${style}`);
}

// null when the identifier reads the same in several cases ("value", "URL", "42").
function caseOf(identifier) {
  if (identifier.includes("_")) return "snake";
  if (identifier.includes("-")) return "kebab";
  const hasLower = /\p{Ll}/u.test(identifier);
  const hasUpper = /\p{Lu}/u.test(identifier);
  if (!hasLower || !hasUpper) return null;
  return /^\p{Lu}/u.test(identifier) ? "pascal" : "camel";
}

function detectCase(text) {
  for (const [identifier] of text.matchAll(IDENTIFIER)) {
    const style = caseOf(identifier);
    if (style !== null) return style;
  }
  return null;
}

module.exports = {
  transform(input, api) {
    const text = input.text;
    // Ambiguous text ("hello world") counts as camelCase, so the cycle starts at snake_case.
    let style = detectCase(text) ?? "camel";
    // Skip cases that change nothing: lower-case single words read the same in camel, snake and kebab.
    for (let step = 0; step < CYCLE.length; step++) {
      style = CYCLE[(CYCLE.indexOf(style) + 1) % CYCLE.length];
      const output = text.replace(IDENTIFIER, (identifier) => toCase(identifier, style));
      if (output !== text) {
        api.log(`converted to ${LABEL[style]}`);
        return output;
      }
    }
    api.log("nothing to convert");
    return text;
  },
};
