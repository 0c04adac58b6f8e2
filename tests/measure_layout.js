// Records, for every row of every findings table, what a reader would see as a broken layout:
// cells whose boxes overlap, elements that stick out of their cell (a badge over a rule id),
// and words drawn on two lines (a word split mid-word, or an id split at its hyphen). The test
// injects it into a copy of the report (allowed by its hash) and reads <pre id="measured">.
(function () {
  "use strict";
  var out = {rows: 0, overlaps: [], outside: [], broken: []};
  function name(el) { return el.tagName.toLowerCase() + (el.className && el.className.baseVal === undefined ? "." + el.className : ""); }
  function label(tr, k) { return (tr.id || "head") + " cell " + k; }
  document.querySelectorAll("table.findings tr").forEach(function (tr) {
    out.rows += 1;
    var cells = Array.prototype.slice.call(tr.children);
    var boxes = cells.map(function (c) { return c.getBoundingClientRect(); });
    for (var i = 0; i < boxes.length; i++) {
      for (var j = i + 1; j < boxes.length; j++) {
        var a = boxes[i], b = boxes[j];
        if (a.right - 0.5 > b.left && b.right - 0.5 > a.left && a.bottom - 0.5 > b.top && b.bottom - 0.5 > a.top) {
          out.overlaps.push(label(tr, i) + " / " + j);
        }
      }
    }
    cells.forEach(function (td, k) {
      var box = boxes[k];
      td.querySelectorAll("*").forEach(function (el) {
        if (el.closest("pre")) { return; }
        var r = el.getBoundingClientRect();
        if (!r.width) { return; }
        if (r.left < box.left - 0.5 || r.right > box.right + 0.5) {
          out.outside.push(label(tr, k) + ": " + name(el) + " " + Math.round(r.left) + "-" + Math.round(r.right) + " outside " + Math.round(box.left) + "-" + Math.round(box.right));
        }
      });
      var walker = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
      var node;
      while ((node = walker.nextNode())) {
        if (node.parentElement.closest("pre")) { continue; }
        var re = /\S+/g, m;
        while ((m = re.exec(node.data))) {
          var range = document.createRange();
          range.setStart(node, m.index);
          range.setEnd(node, m.index + m[0].length);
          var tops = {};
          Array.prototype.forEach.call(range.getClientRects(), function (r) { if (r.width) { tops[Math.round(r.top)] = 1; } });
          if (Object.keys(tops).length > 1) { out.broken.push(label(tr, k) + ": " + m[0]); }
        }
      }
    });
  });
  out.frames = [];  // a picture wider than its frame must scroll in a frame that fits the window
  document.querySelectorAll(".cascade-frame").forEach(function (frame) {
    var wide = frame.scrollWidth > frame.clientWidth + 1;
    var fits = frame.getBoundingClientRect().height <= window.innerHeight + 1;
    out.frames.push({wide: wide, fits: fits, scrolls: getComputedStyle(frame).overflowX});
  });
  var pre = document.createElement("pre");
  pre.id = "measured";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
