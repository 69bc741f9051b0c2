/* Trivsel answering pages: the only script of the respondent side, and not needed for anything
   (the server refuses the same combinations with a message at the question).
   A choice marked data-exclusive ("No one") cannot be combined with the other choices of its group:
   ticking it unticks the others, ticking another unticks it. What was unticked is announced in the
   page's polite live region. */
(function () {
  "use strict";
  var status = document.getElementById("exclusive-status");

  function labelOf(box) {
    return box.labels && box.labels.length ? box.labels[0].textContent.trim() : box.value;
  }

  function announce(unticked) {
    if (!status || !unticked.length) return;
    var template = status.getAttribute("data-template") || "%s";
    status.textContent = template.replace("%s", unticked.map(labelOf).join(", "));
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box || box.type !== "checkbox" || !box.checked) return;
    var group = box.closest("fieldset");
    if (!group || !group.querySelector("input[data-exclusive]")) return;
    var unticked = [];
    var boxes = group.querySelectorAll("input[type=checkbox]");
    for (var i = 0; i < boxes.length; i++) {
      var other = boxes[i];
      if (other === box || !other.checked) continue;
      if (box.hasAttribute("data-exclusive") || other.hasAttribute("data-exclusive")) {
        other.checked = false;
        unticked.push(other);
      }
    }
    announce(unticked);
  });
})();
