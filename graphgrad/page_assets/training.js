/* The training page: a slider over the recorded epochs of one training run.
 *
 * The page's data (a JSON script element, written by graphgrad/training.py):
 *   step:      what one step of the run is called ("Epoch", "Newton step");
 *   ids:       the labelled parts of the example's picture;
 *   snapshots: for each recorded epoch, {epoch, cost, costText, labels} (labels[i]:
 *              the lines of part ids[i] at that epoch) and, for a classifier of
 *              two features, grid: the probability of class 1 on a grid, one
 *              byte a point, base64;
 *   curve:     [epoch, cost] points of the cost curve;
 *   boundary:  null, or {size, x1: [low, high], x2: [low, high], points, example};
 *              points ([x1, x2, label]) and example are fractions of the plot's sides.
 * Text is only ever put into the page with textContent.
 */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("gg-data").textContent);
  var snapshots = data.snapshots;
  var PLAY_DELAY_MS = 300;
  var SVG = "http://www.w3.org/2000/svg";

  function byId(id) {
    var element = document.getElementById(id);
    if (element === null) {
      throw new Error("graphgrad training page: the page has no element " + id);
    }
    return element;
  }

  var texts = data.ids.map(function (id, i) {
    var found = byId(id).querySelectorAll("text");
    if (found.length !== snapshots[0].labels[i].length) {
      throw new Error("graphgrad training page: " + id + " has " + found.length +
                      " lines of text, expected " + snapshots[0].labels[i].length);
    }
    return found;
  });
  var slider = byId("gg-epoch");
  var readout = byId("gg-epoch-text");
  var play = byId("gg-play");
  slider.max = String(snapshots.length - 1);

  // --- the cost curve ---------------------------------------------------------------------
  var COST = { left: 50, right: 410, top: 15, bottom: 225 };
  var topCost = data.curve.reduce(function (m, p) { return Math.max(m, p[1]); }, 0) || 1;
  byId("gg-cost-top").textContent = String(Number(topCost.toPrecision(3)));
  byId("gg-cost-last").textContent = String(data.epochs);

  function costX(epoch) {
    return COST.left + (COST.right - COST.left) * epoch / data.epochs;
  }
  function costY(cost) {
    return COST.bottom - (COST.bottom - COST.top) * (cost / topCost);
  }

  function drawCost(snapshot) {
    var points = [];
    data.curve.forEach(function (p) {
      if (p[0] <= snapshot.epoch) {
        points.push(costX(p[0]).toFixed(1) + "," + costY(p[1]).toFixed(1));
      }
    });
    byId("gg-cost-line").setAttribute("points", points.join(" "));
    var now = byId("gg-cost-now");
    if (snapshot.cost === null) {
      now.setAttribute("visibility", "hidden");
    } else {
      now.setAttribute("visibility", "visible");
      now.setAttribute("cx", costX(snapshot.epoch).toFixed(1));
      now.setAttribute("cy", costY(snapshot.cost).toFixed(1));
    }
  }

  // --- the decision boundary --------------------------------------------------------------
  var boundary = data.boundary;
  var PLOT = 400;

  // Positions arrive as fractions of the plot's sides, so nothing here can overflow.
  function plotX(fraction) {
    return PLOT * fraction;
  }
  function plotY(fraction) {
    return PLOT - PLOT * fraction;
  }

  function decode(text) {
    var raw = window.atob(text);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes;
  }

  function drawPoints() {
    var group = byId("gg-points");
    boundary.points.forEach(function (p) {
      var dot = document.createElementNS(SVG, "circle");
      dot.setAttribute("cx", plotX(p[0]).toFixed(1));
      dot.setAttribute("cy", plotY(p[1]).toFixed(1));
      dot.setAttribute("r", "3.5");
      dot.setAttribute("fill", p[2] === 1 ? "#dc2626" : "#2563eb");
      dot.setAttribute("stroke", "#111827");
      dot.setAttribute("stroke-width", "0.6");
      group.appendChild(dot);
    });
    if (boundary.example !== null) {
      var ring = document.createElementNS(SVG, "circle");
      ring.setAttribute("cx", plotX(boundary.example[0]).toFixed(1));
      ring.setAttribute("cy", plotY(boundary.example[1]).toFixed(1));
      ring.setAttribute("r", "8");
      ring.setAttribute("fill", "none");
      ring.setAttribute("stroke", "#111827");
      ring.setAttribute("stroke-width", "2");
      group.appendChild(ring);
    }
  }

  // The probability as colour: blue (0) through white (0.5) to red (1).
  function colour(p) {
    var blue = [37, 99, 235], red = [220, 38, 38], white = [255, 255, 255];
    var from = p < 0.5 ? blue : white, to = p < 0.5 ? white : red;
    var t = p < 0.5 ? p * 2 : (p - 0.5) * 2;
    return from.map(function (c, k) { return Math.round(c + (to[k] - c) * t); });
  }

  var small = document.createElement("canvas");

  function drawHeat(bytes) {
    var n = boundary.size;
    small.width = n;
    small.height = n;
    var context = small.getContext("2d");
    var image = context.createImageData(n, n);
    for (var row = 0; row < n; row++) {
      for (var col = 0; col < n; col++) {
        // Grid row 0 is the smallest x2, drawn at the bottom.
        var rgb = colour(bytes[row * n + col] / 255);
        var at = ((n - 1 - row) * n + col) * 4;
        image.data[at] = rgb[0];
        image.data[at + 1] = rgb[1];
        image.data[at + 2] = rgb[2];
        image.data[at + 3] = 110;
      }
    }
    context.putImageData(image, 0, 0);
    var heat = byId("gg-heat").getContext("2d");
    heat.clearRect(0, 0, PLOT, PLOT);
    heat.imageSmoothingEnabled = true;
    // Half a cell beyond each side, so that pixel centres fall on the grid points.
    var cell = PLOT / (n - 1);
    heat.drawImage(small, -cell / 2, -cell / 2, PLOT + cell, PLOT + cell);
  }

  // Where the probability crosses 0.5, by marching squares over the grid.
  function contour(bytes) {
    var n = boundary.size, half = 127.5, parts = [];
    function x1At(col) { return col / (n - 1); }
    function x2At(row) { return row / (n - 1); }
    function value(row, col) { return bytes[row * n + col] - half; }
    function cross(r0, c0, r1, c1) {
      var a = value(r0, c0), b = value(r1, c1);
      var t = a / (a - b);
      var x1 = x1At(c0 + (c1 - c0) * t), x2 = x2At(r0 + (r1 - r0) * t);
      return plotX(x1).toFixed(2) + " " + plotY(x2).toFixed(2);
    }
    for (var row = 0; row < n - 1; row++) {
      for (var col = 0; col < n - 1; col++) {
        var corners = [[row, col], [row, col + 1], [row + 1, col + 1], [row + 1, col]];
        var found = [];
        for (var k = 0; k < 4; k++) {
          var p = corners[k], q = corners[(k + 1) % 4];
          if ((value(p[0], p[1]) < 0) !== (value(q[0], q[1]) < 0)) {
            found.push(cross(p[0], p[1], q[0], q[1]));
          }
        }
        for (var s = 0; s + 1 < found.length; s += 2) {
          parts.push("M" + found[s] + "L" + found[s + 1]);
        }
      }
    }
    return parts.join("");
  }

  function drawBoundary(snapshot) {
    var bytes = decode(snapshot.grid);
    drawHeat(bytes);
    byId("gg-boundary").setAttribute("d", contour(bytes));
  }

  // --- one snapshot -----------------------------------------------------------------------
  function show(index) {
    var snapshot = snapshots[index];
    snapshot.labels.forEach(function (lines, i) {
      lines.forEach(function (line, j) { texts[i][j].textContent = line; });
    });
    var text = data.step + " " + snapshot.epoch + " of " + data.epochs;
    text += snapshot.cost === null ? " (before training)" : ": its cost J = " + snapshot.costText;
    readout.textContent = text;
    slider.setAttribute("aria-valuetext",
                        data.step.toLowerCase() + " " + snapshot.epoch + " of " + data.epochs);
    drawCost(snapshot);
    if (boundary !== null) {
      drawBoundary(snapshot);
    }
  }

  var timer = null;
  function pause() {
    if (timer !== null) {
      window.clearInterval(timer);
      timer = null;
    }
    play.textContent = "Play";
    play.setAttribute("aria-pressed", "false");
  }
  play.addEventListener("click", function () {
    if (timer !== null) {
      pause();
      return;
    }
    if (Number(slider.value) === snapshots.length - 1) {
      slider.value = "0";
      show(0);
    }
    play.textContent = "Pause";
    play.setAttribute("aria-pressed", "true");
    timer = window.setInterval(function () {
      var next = Number(slider.value) + 1;
      slider.value = String(next);
      show(next);
      if (next >= snapshots.length - 1) {
        pause();
      }
    }, PLAY_DELAY_MS);
  });
  slider.addEventListener("input", function () {
    show(Number(slider.value));
  });

  // The graph fitted to the page (the default), or at its own size, scrolling.
  var graph = byId("gg-graph");
  var fit = byId("gg-zoom-fit");
  var actual = byId("gg-zoom-actual");
  function setZoom(fitted) {
    graph.classList.toggle("gg-fit", fitted);
    fit.setAttribute("aria-pressed", String(fitted));
    actual.setAttribute("aria-pressed", String(!fitted));
  }
  fit.addEventListener("click", function () { setZoom(true); });
  actual.addEventListener("click", function () { setZoom(false); });

  if (boundary !== null) {
    drawPoints();
  }
  show(0);
})();
