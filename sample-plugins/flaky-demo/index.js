// Deliberately broken: fails every run so users can watch the crash policy switch it off.

module.exports = {
  transform(input, api) {
    api.log("about to fail on purpose");
    throw new Error("simulated failure");
  },
};
