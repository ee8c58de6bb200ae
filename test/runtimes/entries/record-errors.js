// What goes wrong before the suite reports (a module that fails to load or throws, console.error):
// recorded by the page itself, so the runner sees it in every engine (WebKit's classic WebDriver has
// no page-error events).
window.__errors = [];
addEventListener(
  'error',
  (e) =>
    __errors.push(
      `page error: ${(e.error?.message) || e.message || `<${e.target.localName}${e.target.src ? ` src="${e.target.src}"` : ''}> or one of its imports did not load`}`,
    ),
  true,
);
addEventListener('unhandledrejection', (e) =>
  __errors.push(`page error: unhandled rejection: ${e.reason?.message || e.reason}`),
);
{
  const consoleError = console.error;
  console.error = (...a) => (__errors.push(`console error: ${a.join(' ')}`), consoleError.apply(console, a));
}
