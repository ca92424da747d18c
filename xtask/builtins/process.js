// Bundled packages that require('process') get the guest's own process object, which the
// bundle's wrapper (vendor.js) has in scope.
module.exports = secureExecProcess;
