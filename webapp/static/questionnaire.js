// Questionnaire pages: show and hide questions as the answers change (the conditions come with
// each question as JSON, the same format the server checks with forms/conditions.py), add rows
// to a repeating group without a round trip, and the result page's print button. Without this
// script the pages work as plain forms: the server decides what shows after "Volgende".
(function () {
  "use strict";

  var form = document.querySelector("form.questionnaire");
  var outsideScript = document.getElementById("questionnaire-answers");
  var outside = outsideScript ? JSON.parse(outsideScript.textContent || "{}") : {};
  var dutch = (document.documentElement.lang || "nl") !== "en";

  // ---- values as the conditions compare them (see forms/conditions.py) ------------------
  var ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
  var DECIMAL = /^-?\d+(\.\d+)?$/;

  function comparable(value) {
    if (value === null || value === undefined) return null;
    if (typeof value === "boolean") return { kind: "bool", v: value };
    if (typeof value === "number") return { kind: "num", v: value };
    if (typeof value === "string") {
      if (ISO_DATE.test(value)) return { kind: "date", v: value };
      if (DECIMAL.test(value)) return { kind: "num", v: parseFloat(value) };
      return { kind: "str", v: value };
    }
    return null;
  }

  function candidates(answer) {
    if (answer === null || answer === undefined) return [];
    if (Array.isArray(answer)) {
      var rows = answer.every(function (item) { return item && typeof item === "object"; });
      if (rows) return [{ kind: "num", v: answer.length }];
      return answer.map(comparable).filter(Boolean);
    }
    var one = comparable(answer);
    return one ? [one] : [];
  }

  function same(a, b) { return a && b && a.kind === b.kind && a.v === b.v; }

  function evaluate(condition, answerOf) {
    if (condition.all) return condition.all.every(function (c) { return evaluate(c, answerOf); });
    if (condition.any) return condition.any.some(function (c) { return evaluate(c, answerOf); });
    if (condition.not) return !evaluate(condition.not, answerOf);
    var given = candidates(answerOf(condition.question));
    if ("equals" in condition) {
      var wanted = comparable(condition.equals);
      return given.some(function (g) { return same(g, wanted); });
    }
    if ("in" in condition) {
      var options = condition["in"].map(comparable);
      return given.some(function (g) { return options.some(function (o) { return same(g, o); }); });
    }
    var bound = comparable("greater_than" in condition ? condition.greater_than : condition.less_than);
    var value = given.length === 1 ? given[0] : null;
    if (!value || !bound || value.kind !== bound.kind || (value.kind !== "num" && value.kind !== "date")) return false;
    return "greater_than" in condition ? value.v > bound.v : value.v < bound.v;
  }

  // ---- what the page's fields hold now, as stored answers --------------------------------
  function number(text) {
    // As the client's language writes it: "1.500,50" in Dutch, "1,500.50" in English.
    var t = text.replace(/[\s€]/g, "");
    if (!t) return null;
    if (dutch) {
      t = t.indexOf(",") >= 0 ? t.replace(/\./g, "").replace(",", ".") : (/^-?\d{1,3}(\.\d{3})+$/.test(t) ? t.replace(/\./g, "") : t);
    } else {
      t = t.replace(/,/g, "");
    }
    return DECIMAL.test(t) ? t : null;
  }

  function fieldValue(box) {
    var widget = box.getAttribute("data-widget");
    var name = box.getAttribute("data-name");
    if (widget === "group") {
      return Array.prototype.filter.call(box.querySelectorAll(":scope > .rows > .row"), function (row) {
        var remove = row.querySelector("input[name$='.remove']");
        if (remove && remove.checked) return false;
        return Array.prototype.some.call(row.querySelectorAll("input:not([type=checkbox]):not([type=hidden]), textarea, select"),
          function (input) { return input.value.trim() !== ""; }) ||
          row.querySelector("input[type=radio]:checked, input[type=checkbox]:checked:not([name$='.remove'])") !== null;
      }).map(function () { return {}; });
    }
    var inputs = form.querySelectorAll("[name='" + name + "']");
    if (widget === "yes_no") {
      var chosen = form.querySelector("[name='" + name + "']:checked");
      return chosen ? chosen.value === "yes" : null;
    }
    if (widget === "radio") {
      var picked = form.querySelector("[name='" + name + "']:checked");
      return picked ? picked.value : null;
    }
    if (widget === "checkboxes") {
      var values = Array.prototype.filter.call(inputs, function (i) { return i.checked; }).map(function (i) { return i.value; });
      return values.length ? values : null;
    }
    if (widget === "postcode" || widget === "file" || !inputs.length) return null;
    var text = inputs[0].value.trim();
    if (!text) return null;
    return box.hasAttribute("data-numeric") ? number(text) : text;
  }

  function answerLookup(box) {
    var row = box.closest(".row");
    return function (key) {
      var here = row && row.querySelector(":scope > .question[data-key='" + key + "']");
      if (here) return here.hidden ? null : fieldValue(here);
      var onPage = form.querySelector(".question[data-key='" + key + "']:not(.row .question), fieldset.group[data-key='" + key + "']");
      if (onPage) return onPage.hidden ? null : fieldValue(onPage);
      return key in outside ? outside[key] : null;
    };
  }

  // One pass in page order settles everything: a condition only looks back.
  function refresh() {
    form.querySelectorAll("[data-condition]").forEach(function (box) {
      if (box.closest("template")) return;
      var condition = JSON.parse(box.getAttribute("data-condition"));
      box.hidden = !evaluate(condition, answerLookup(box));
    });
  }

  // ---- rows of a repeating group ----------------------------------------------------------
  function addRow(group) {
    var rows = group.querySelector(":scope > .rows");
    var template = group.querySelector(":scope > template");
    var index = rows.children.length;
    if (index >= parseInt(group.getAttribute("data-max"), 10)) return;
    // Field names count rows from 0 ("children-2-name"), the title from 1 ("Kind 3").
    var html = template.innerHTML
      .replace(/(data-row-title>[^<]*?)__row__/, "$1" + (index + 1))
      .replace(/__row__/g, String(index));
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var row = holder.querySelector(".row");
    rows.appendChild(row);
    var button = group.querySelector(":scope > [data-add-row]");
    if (button && rows.children.length >= parseInt(group.getAttribute("data-max"), 10)) button.hidden = true;
    var first = row.querySelector("input, select, textarea");
    if (first) first.focus();
    refresh();
  }

  if (form) {
    form.addEventListener("input", refresh);
    form.addEventListener("change", refresh);
    form.addEventListener("click", function (event) {
      var button = event.target.closest("[data-add-row]");
      if (!button) return;
      event.preventDefault();
      addRow(button.closest("fieldset.group"));
    });
    refresh();
  }

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
