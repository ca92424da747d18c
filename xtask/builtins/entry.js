// What the worker's guest gets from npm: each built-in module as a function that loads it on
// first use. Bundled by `cargo xtask builtins` into crates/secure-exec-worker/src/guest/vendor.js.
module.exports = {
  assert: () => require('assert/'),
  buffer: () => require('buffer/'),
  // Finds the export names of a CommonJS module imported from an ES module, as Node does.
  cjs_module_lexer: () => require('cjs-module-lexer'),
  events: () => require('events/'),
  // zlib's deflate and inflate, ported to JavaScript (the `zlib` module's engine).
  pako: () => require('pako'),
  // Glob patterns (fs.glob, path.matchesGlob): the matcher Node's own comes from.
  minimatch: () => require('minimatch'),
  // util.parseArgs: the reference implementation Node's own comes from.
  parse_args: () => require('@pkgjs/parseargs'),
  path: () => require('path-browserify'),
  punycode: () => require('punycode/'),
  querystring: () => require('querystring-es3'),
  stream: () => require('readable-stream'),
  string_decoder: () => require('string_decoder/'),
  url: () => require('url/'),
  util: () => require('util/'),
  // WHATWG streams (ReadableStream, ...), under fetch's bodies and `stream/web`.
  web_streams: () => require('web-streams-polyfill'),
};
