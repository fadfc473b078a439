"""The training replay's HTML page: layout, style and the little script that shows one snapshot at a time.

``PAGE`` is a ``string.Template``; ``viz.report`` fills in its ``$`` fields. The script
only copies precomputed texts, colours and widths from the JSON data into the marked
elements (see ``viz.live_svg``), so every number is formatted by viz's own Python.
"""

from string import Template

SCRIPT = """
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("replay-data").textContent);
  const byId = function (id) { return document.getElementById(id); };
  const slider = byId("snapshot");
  const playButton = byId("play");
  let timer = null;

  function setNumber(id, text, colour) {
    const number = byId(id);
    number.textContent = text;
    if (colour) number.parentNode.setAttribute("fill", colour);
  }

  function showEdge(name, look, value, grad) {
    const edge = byId("network-edge:" + name);
    for (const shape of edge.querySelectorAll("path, polygon")) {
      shape.setAttribute("stroke", look[0]);
      shape.setAttribute("stroke-width", look[1]);
      if (shape.tagName === "polygon") shape.setAttribute("fill", look[0]);
      else if (look[2]) shape.setAttribute("stroke-dasharray", "5,2");
      else shape.removeAttribute("stroke-dasharray");
    }
    edge.querySelector("title").textContent = name + " = " + value + ", grad " + grad;
  }

  function showTruthTable(s) {
    for (let i = 0; i < s.predictions.length; i++) {
      byId("prediction-" + i).textContent = s.predictions[i];
      byId("rounded-" + i).textContent = s.rounded[i] === null ? "?" : s.rounded[i];
      const correct = byId("correct-" + i);
      correct.textContent = s.correct[i] ? "yes" : "NO";
      correct.className = s.correct[i] ? "yes" : "no";
      byId("row-" + i).className = s.sample === i || s.sample === null ? "used" : "";
    }
  }

  function show(index) {
    const s = data.snapshots[index];
    byId("epoch-label").textContent = s.label;
    byId("position").textContent = "snapshot " + (index + 1) + " of " + data.snapshots.length;
    data.names.forEach(function (name, i) {
      for (const picture of ["network", "table"]) {
        setNumber(picture + "-value:" + name, s.valueText[i]);
        setNumber(picture + "-grad:" + name, s.gradText[i], s.gradColour[i]);
      }
    });
    data.weights.forEach(function (i, k) {
      showEdge(data.names[i], s.edges[k], s.values[i], s.grads[i]);
    });
    byId("network-widths").textContent = s.widths;
    const marker = data.markers[index];
    byId("loss-marker").setAttribute("cx", marker[0]);
    byId("loss-marker").setAttribute("cy", marker[1]);
    byId("loss-marker-line").setAttribute("x1", marker[0]);
    byId("loss-marker-line").setAttribute("x2", marker[0]);
    showTruthTable(s);
  }

  function stop() {
    clearInterval(timer);
    timer = null;
    playButton.textContent = "Play";
  }

  function advance() {
    const next = Number(slider.value) + 1;
    if (next >= data.snapshots.length) return stop();
    slider.value = next;
    show(next);
  }

  function play() {
    if (Number(slider.value) === data.snapshots.length - 1) {
      slider.value = 0;
      show(0);
    }
    playButton.textContent = "Pause";
    timer = setInterval(advance, data.interval);
  }

  playButton.addEventListener("click", function () { if (timer === null) play(); else stop(); });
  slider.addEventListener("input", function () { show(Number(slider.value)); });
  show(Number(slider.value));
})();
"""

STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 16px 24px; color: #222222; }
h1 { font-size: 22px; margin: 0 0 4px 0; }
h2 { font-size: 15px; margin: 14px 0 6px 0; }
p.recipe { margin: 0 0 12px 0; color: #555555; }
.controls { display: flex; align-items: center; gap: 14px; position: sticky; top: 0; z-index: 1;
  background: #FFFFFF; padding: 8px 0; border-bottom: 1px solid #DDDDDD; }
.controls input[type=range] { width: 420px; }
.controls button { width: 70px; font-size: 14px; }
#epoch-label { font-weight: bold; font-size: 15px; }
#position { color: #777777; }
.pictures { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 24px;
  align-items: start; }
@media (max-width: 900px) { .pictures { grid-template-columns: minmax(0, 1fr); } }
.pictures svg { max-width: 100%; height: auto; }
table.truth { border-collapse: collapse; font-size: 13px; }
table.truth th, table.truth td { border: 1px solid #BBBBBB; padding: 3px 10px; text-align: right; }
table.truth tr.used td { background: #FFF1B8; }
td.yes { color: #0072B2; }
td.no { color: #D55E00; font-weight: bold; }
p.note { color: #555555; font-size: 13px; max-width: 460px; }
"""

PAGE = Template(
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
  content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'">
<title>$title</title>
<style>$style</style>
</head>
<body>
<h1>$title</h1>
<p class="recipe">$recipe</p>
<div class="controls">
<button id="play" type="button">Play</button>
<input id="snapshot" type="range" min="0" max="$last" value="0" step="1" aria-label="snapshot">
<span id="epoch-label"></span>
<span id="position"></span>
</div>
<noscript><p>The replay needs JavaScript: without it the numbers below are placeholders.</p></noscript>
<div class="pictures">
<section>
<h2>The network: edge colour and width from each weight's gradient at this step</h2>
<div id="network-picture">$network</div>
</section>
<section>
<h2>Loss</h2>
<div id="loss-picture">$loss</div>
<p class="note">Each dot is the loss of a snapshot's single step, like the number the course's log
printed: it jumps around far more than the means do.</p>
<h2>Truth table at this step (highlighted: the sample of the step)</h2>
$truth
<h2>Parameters</h2>
<div id="table-picture">$table</div>
</section>
</div>
<script type="application/json" id="replay-data">$data</script>
<script>$script</script>
</body>
</html>
"""
)
