// Sorts the selected lines in natural order (case-insensitive, digit runs compared by value).
// Array.prototype.sort is stable, so lines the collator calls equal keep their original order.

const collator = new Intl.Collator("en", { numeric: true, sensitivity: "accent" });

module.exports = {
  transform(input) {
    const text = input.text;
    if (text === "") return "";

    // Keep the document's line ending; a selection with any CRLF is treated as CRLF.
    const eol = text.includes("\r\n") ? "\r\n" : "\n";
    const lines = text.split(/\r?\n/);

    // "a\nb\n" splits into ["a", "b", ""]: the trailing newline is not a line to sort.
    const trailingNewline = lines.length > 1 && lines[lines.length - 1] === "";
    if (trailingNewline) lines.pop();

    lines.sort(collator.compare);
    return lines.join(eol) + (trailingNewline ? eol : "");
  },
};
