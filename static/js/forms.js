/* Every page: after a failed submit, move the focus to the error summary at the top
 * (templates/macros/forms.html), so keyboard and screen-reader users start from the
 * list of problems; each item links to its field. Without JavaScript the summary is
 * still the first thing in the page's content. */
(function () {
  "use strict";
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
})();
