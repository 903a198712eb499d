/* Live checks on the vendor register/edit form.
 *
 * No rules live here: every value is sent to the server's check endpoint
 * (POST data-check-url, CSRF header), which runs the same validation and duplicate
 * search as the registration itself and answers
 * {fields: {name: {errors, warnings, value, folded?}}, duplicates: [{field, message, links}]}.
 * This script only shows the answer next to each field the user has visited and
 * pre-fills the bank-style name with the server's folding of the display name until
 * the user types their own. Without JavaScript the form works the same, checked on submit.
 */
(function () {
  "use strict";
  var form = document.getElementById("register-form");
  if (!form || !form.dataset.checkUrl || !window.fetch) { return; }

  var NAMES = ["display_name", "bank_style_name", "phone", "bank_bin", "account_number", "holder_name"];
  var csrf = form.querySelector("input[name=csrf_token]");
  var bankName = form.elements.namedItem("bank_style_name");
  var displayName = form.elements.namedItem("display_name");
  var touched = {};
  var sequence = 0;
  var timer = null;
  // Follow the display name while the bank-style name is empty or still what we filled in.
  var autoFill = bankName && bankName.value.trim() === "";
  var lastFolded = null;

  function values() {
    var data = {};
    NAMES.forEach(function (name) {
      var input = form.elements.namedItem(name);
      if (input) { data[name] = input.value; }
    });
    if (form.dataset.accountId) { data.account_id = form.dataset.accountId; }
    if (form.dataset.vendorId) { data.vendor_id = form.dataset.vendorId; }
    if (form.dataset.stallId) { data.stall_id = form.dataset.stallId; }
    return data;
  }

  function paragraph(className, messages, links) {
    var p = document.createElement("p");
    p.className = className + " js-live";
    p.textContent = messages.join(" ");
    (links || []).forEach(function (href) {
      var a = document.createElement("a");
      a.href = href;
      // The words come from the page, translated like the rest of it.
      a.textContent = " " + (form.dataset.duplicateLinkText || "");
      p.appendChild(a);
    });
    return p;
  }

  function show(name, errors, warnings, links) {
    var input = form.elements.namedItem(name);
    var box = input && document.getElementById(input.id + "-feedback");
    if (!box) { return; }
    // Replace the previous messages (server-rendered or ours), keep checkboxes and links.
    Array.prototype.forEach.call(box.querySelectorAll("p.error, p.warning, p.js-live"), function (p) {
      p.parentNode.removeChild(p);
    });
    var wrapper = box.closest(".field");
    if (errors.length) {
      var error = paragraph("error", errors, links.error);
      error.id = input.id + "-error";
      box.insertBefore(error, box.firstChild);
    }
    if (warnings.length) {
      box.appendChild(paragraph("warning", warnings, links.warning));
    }
    input.setAttribute("aria-invalid", errors.length ? "true" : "false");
    if (wrapper) { wrapper.classList.toggle("field-invalid", errors.length > 0); }
  }

  function render(answer) {
    var fields = answer.fields || {};
    var folded = fields.bank_style_name && fields.bank_style_name.folded;
    if (lastFolded === null && bankName && bankName.value === folded) { autoFill = true; }
    if (autoFill && bankName && folded !== undefined && (folded || displayName.value.trim() === "")) {
      bankName.value = folded || "";
      bankName.classList.toggle("is-auto", Boolean(folded));
    }
    lastFolded = folded || "";
    var duplicates = {};
    (answer.duplicates || []).forEach(function (d) { duplicates[d.field] = d; });
    NAMES.forEach(function (name) {
      if (!touched[name] && !(name === "bank_style_name" && autoFill && touched.display_name)) { return; }
      var entry = fields[name] || {errors: [], warnings: []};
      var errors = (entry.errors || []).slice();
      var warnings = (entry.warnings || []).slice();
      var links = {error: [], warning: []};
      var duplicate = duplicates[name];
      if (duplicate && name === "account_number") {
        errors.push(duplicate.message);  // the same bank account is never registered twice
        links.error = duplicate.links || [];
      } else if (duplicate) {
        warnings.push(duplicate.message);  // a shared phone is only suspicious
        links.warning = duplicate.links || [];
      }
      show(name, errors, warnings, links);
    });
  }

  function check() {
    var mine = ++sequence;
    var headers = {"Content-Type": "application/json", "Accept": "application/json"};
    if (csrf) { headers["X-CSRFToken"] = csrf.value; }
    fetch(form.dataset.checkUrl, {
      method: "POST", credentials: "same-origin", headers: headers, body: JSON.stringify(values())
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (answer) {
      if (answer && mine === sequence) { render(answer); }
    }).catch(function () { /* the server checks again on submit */ });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, 250);
  }

  NAMES.forEach(function (name) {
    var input = form.elements.namedItem(name);
    if (!input) { return; }
    input.addEventListener("blur", function () { touched[name] = true; later(); });
    input.addEventListener("change", function () { touched[name] = true; later(); });
  });
  if (displayName) {
    displayName.addEventListener("input", function () { if (autoFill) { later(); } });
  }
  if (bankName) {
    bankName.addEventListener("input", function () {
      autoFill = bankName.value.trim() === "";
      bankName.classList.remove("is-auto");
    });
  }
  // Learn the current folding (edit page: is the bank-style name still the folded one?).
  check();
}());
