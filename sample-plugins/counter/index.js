// Numbers the selected lines, continuing from the last number stored by the previous run.

const KEY = "lastNumber";

module.exports = {
  async transform(input, api) {
    const text = input.text;

    // No options UI: an empty selection is the way to start again from 1.
    if (text === "") {
      await api.storage.set(KEY, 0);
      api.log("counter reset: the next run starts at 1");
      return "";
    }

    const stored = await api.storage.get(KEY);
    // Storage is plain JSON written by earlier versions or by hand: trust only a sane integer.
    let n = Number.isSafeInteger(stored) && stored >= 0 ? stored : 0;
    const first = n + 1;

    // Split on "\n" and keep any "\r", so CRLF endings and a trailing newline come back untouched.
    const lines = text.split("\n").map((line) => {
      if (line.trim() === "") return line; // blank lines stay blank and take no number
      n += 1;
      return `${n}. ${line}`;
    });

    await api.storage.set(KEY, n);
    api.log(n >= first ? `numbered lines ${first}–${n}` : "no non-empty lines to number");
    return lines.join("\n");
  },
};
