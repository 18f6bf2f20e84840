/* The explorer: steps through the lines of graphgrad.trace on the picture of the graph.
 *
 * The page's data (a JSON script element, written by graphgrad/explore.py):
 *   lines:  every line of trace(root), exactly as trace() prints it;
 *   steps:  the lines that compute something, in order: {line, kind, text,
 *           node, lit, from, labels} (element ids of the picture's parts);
 *   nodes:  for each named value node, its name and the lines of its label
 *           (value lines, then gradient lines) as the static picture shows them;
 *   labels: for each labelled edge, the lines of its label (local derivatives).
 * Text is only ever put into the page with textContent: nothing in the data
 * is parsed as markup.
 *
 * The picture keeps its own size (100%) in a frame that scrolls: at each step
 * the frame brings the value being computed, and the edges and op it reads,
 * into view (smoothly, unless the reader asks for reduced motion), and does not
 * move when they are in view already.  Fit shrinks the picture to the frame.
 */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("gg-data").textContent);
  var steps = data.steps;
  var last = steps.length;
  var PLAY_DELAY_MS = 1100;

  function byId(id) {
    var element = document.getElementById(id);
    if (element === null) {
      throw new Error("graphgrad explorer: the page has no element " + id);
    }
    return element;
  }

  // The text elements of a part of the picture, one per line of its label.
  function textsOf(id, count) {
    var texts = byId(id).querySelectorAll("text");
    if (texts.length !== count) {
      throw new Error("graphgrad explorer: " + id + " has " + texts.length +
                      " lines of text, expected " + count);
    }
    return texts;
  }

  var nodeIds = Object.keys(data.nodes);
  var labelIds = Object.keys(data.labels);
  var texts = {};
  nodeIds.forEach(function (id) {
    var node = data.nodes[id];
    texts[id] = textsOf(id, node.value.length + node.grad.length);
  });
  labelIds.forEach(function (id) {
    texts[id] = textsOf(id, data.labels[id].length);
  });

  var status = byId("gg-status");
  var phase = byId("gg-phase");
  var counter = byId("gg-counter");
  var transcript = byId("gg-transcript");
  var buttons = {
    reset: byId("gg-reset"),
    previous: byId("gg-previous"),
    play: byId("gg-play"),
    next: byId("gg-next")
  };
  var frame = byId("gg-graph");
  var picture = frame.querySelector("svg");
  var zoomButtons = { fit: byId("gg-fit"), actual: byId("gg-actual") };
  var intro = status.textContent;
  var shown = 0; // how many steps have been taken
  var timer = null;
  var marked = [];

  function mark(id, name) {
    var element = document.getElementById(id);
    if (element !== null) {
      element.classList.add(name);
      marked.push(element);
    }
  }

  function setLines(elements, lines, offset, visible, placeholder) {
    for (var j = 0; j < lines.length; j++) {
      var text = visible ? lines[j] : (j === 0 && placeholder !== null ? placeholder : "");
      elements[offset + j].textContent = text;
    }
  }

  // What the page shows after `count` steps: a function of count alone, so
  // going back is as exact as going forward.
  function render(count) {
    var valued = {}, graded = {}, derived = {};
    for (var i = 0; i < count; i++) {
      var step = steps[i];
      if (step.kind === "forward") {
        valued[step.node] = true;
      } else if (step.kind === "backward") {
        graded[step.node] = true;
        step.labels.forEach(function (id) { derived[id] = true; });
      }
    }
    var done = count === last; // the end: everything the static picture shows
    nodeIds.forEach(function (id) {
      var node = data.nodes[id];
      var hasValue = done || valued[id] === true;
      setLines(texts[id], node.value, 0, hasValue, node.name);
      setLines(texts[id], node.grad, node.value.length, done || graded[id] === true, null);
    });
    labelIds.forEach(function (id) {
      setLines(texts[id], data.labels[id], 0, done || derived[id] === true, null);
    });

    marked.forEach(function (element) {
      element.classList.remove("gg-current", "gg-lit", "gg-source");
    });
    marked = [];
    var current = count > 0 ? steps[count - 1] : null;
    if (current !== null) {
      if (current.node !== null) {
        mark(current.node, "gg-current");
      }
      current.lit.forEach(function (id) { mark(id, "gg-lit"); });
      current.from.forEach(function (id) { mark(id, "gg-source"); });
    }

    status.textContent = current === null ? intro : current.text;
    counter.textContent = "Step " + count + " of " + last;
    phase.textContent = current === null ? "" : heading(current.line);
    writeTranscript(count, current);
    buttons.previous.disabled = count === 0;
    buttons.reset.disabled = count === 0;
    buttons.next.disabled = count === last;
    follow(current);
  }

  // --- following the step, and zoom ---------------------------------------------------------

  var MARGIN_PX = 16; // room kept between what a step is about and the frame's edge
  var reducedMotion = window.matchMedia !== undefined &&
    window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  // The box of the elements with these ids, in the frame's scrolled content (px).
  function boxOf(ids) {
    var origin = frame.getBoundingClientRect();
    var box = null;
    ids.forEach(function (id) {
      var element = document.getElementById(id);
      if (element === null) {
        return;
      }
      var r = element.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) {
        return;
      }
      var left = r.left - origin.left - frame.clientLeft + frame.scrollLeft;
      var top = r.top - origin.top - frame.clientTop + frame.scrollTop;
      var right = left + r.width, bottom = top + r.height;
      box = box === null ? { left: left, top: top, right: right, bottom: bottom } : {
        left: Math.min(box.left, left), top: Math.min(box.top, top),
        right: Math.max(box.right, right), bottom: Math.max(box.bottom, bottom)
      };
    });
    return box;
  }

  function fitsInFrame(box) {
    return box.right - box.left <= frame.clientWidth - 2 * MARGIN_PX &&
      box.bottom - box.top <= frame.clientHeight - 2 * MARGIN_PX;
  }

  // Where to scroll along one axis so that [start, end] is in view: nowhere new
  // when it is in view; else centred, or from its start when it is too long.
  function scrollFor(start, end, scrolled, size, limit) {
    if (start >= scrolled && end <= scrolled + size) {
      return scrolled;
    }
    var target = end - start <= size - 2 * MARGIN_PX
      ? (start + end) / 2 - size / 2
      : start - MARGIN_PX;
    return Math.max(0, Math.min(limit, Math.round(target)));
  }

  // The current node with the edges and op it reads, or the node alone when
  // they do not fit in the frame together.
  function follow(step) {
    if (step === null || step.node === null) {
      return;
    }
    var box = boxOf([step.node].concat(step.lit));
    if (box === null) {
      return;
    }
    if (!fitsInFrame(box)) {
      box = boxOf([step.node]);
    }
    var left = scrollFor(box.left, box.right, frame.scrollLeft, frame.clientWidth,
                         frame.scrollWidth - frame.clientWidth);
    var top = scrollFor(box.top, box.bottom, frame.scrollTop, frame.clientHeight,
                        frame.scrollHeight - frame.clientHeight);
    if (left !== frame.scrollLeft || top !== frame.scrollTop) {
      frame.scrollTo({ left: left, top: top, behavior: reducedMotion ? "auto" : "smooth" });
    }
  }

  // The picture's own size in CSS px (Graphviz gives it in pt).
  var natural = { width: picture.width.baseVal.value, height: picture.height.baseVal.value };
  var zoom = "actual";

  function applyZoom() {
    var scale = 1;
    if (zoom === "fit") {
      frame.style.overflow = "hidden"; // measure the room without scroll bars
      var room = {
        width: frame.clientWidth,
        height: parseFloat(window.getComputedStyle(frame).maxHeight) - frame.offsetHeight +
          frame.clientHeight
      };
      frame.style.overflow = "";
      scale = Math.min(1, room.width / natural.width,
                       isNaN(room.height) ? 1 : room.height / natural.height);
    }
    picture.style.width = natural.width * scale + "px";
    picture.style.height = natural.height * scale + "px";
    zoomButtons.fit.setAttribute("aria-pressed", String(zoom === "fit"));
    zoomButtons.actual.setAttribute("aria-pressed", String(zoom === "actual"));
  }

  function setZoom(name) {
    zoom = name;
    applyZoom();
    follow(shown > 0 ? steps[shown - 1] : null);
  }

  zoomButtons.fit.addEventListener("click", function () { setZoom("fit"); });
  zoomButtons.actual.addEventListener("click", function () { setZoom("actual"); });
  window.addEventListener("resize", function () {
    if (zoom === "fit") {
      applyZoom();
    }
  });

  // The section heading a line of the trace is under.
  function heading(line) {
    for (var i = line; i >= 0; i--) {
      if (data.headings.indexOf(i) !== -1) {
        return data.lines[i];
      }
    }
    return "";
  }

  // The trace up to the current step, that line marked.
  function writeTranscript(count, current) {
    var upTo = count === last ? data.lines.length - 1 : (current === null ? -1 : current.line);
    transcript.textContent = "";
    var now = null;
    for (var i = 0; i <= upTo; i++) {
      if (i > 0) {
        transcript.appendChild(document.createTextNode("\n"));
      }
      var span = document.createElement("span");
      span.textContent = data.lines[i];
      if (current !== null && i === current.line) {
        span.className = "gg-now";
        now = span;
      }
      transcript.appendChild(span);
    }
    if (now !== null) {
      // Scroll the transcript box only, never the page.
      var top = now.offsetTop - transcript.offsetTop;
      if (top < transcript.scrollTop || top > transcript.scrollTop + transcript.clientHeight - 20) {
        transcript.scrollTop = Math.max(0, top - transcript.clientHeight / 2);
      }
    }
  }

  function go(count) {
    shown = Math.max(0, Math.min(last, count));
    render(shown);
  }

  function play() {
    if (shown === last) {
      go(0);
    }
    buttons.play.textContent = "Pause";
    buttons.play.setAttribute("aria-pressed", "true");
    timer = window.setInterval(function () {
      go(shown + 1);
      if (shown === last) {
        pause();
      }
    }, PLAY_DELAY_MS);
  }

  function pause() {
    if (timer !== null) {
      window.clearInterval(timer);
      timer = null;
    }
    buttons.play.textContent = "Play";
    buttons.play.setAttribute("aria-pressed", "false");
  }

  function togglePlay() {
    if (timer === null) {
      play();
    } else {
      pause();
    }
  }

  buttons.reset.addEventListener("click", function () { pause(); go(0); });
  buttons.previous.addEventListener("click", function () { pause(); go(shown - 1); });
  buttons.next.addEventListener("click", function () { pause(); go(shown + 1); });
  buttons.play.addEventListener("click", togglePlay);

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    switch (event.key) {
      case "ArrowRight": pause(); go(shown + 1); break;
      case "ArrowLeft": pause(); go(shown - 1); break;
      case "Home": pause(); go(0); break;
      case "End": pause(); go(last); break;
      case " ":
      case "Spacebar":
        // Also when a button has the focus: Space plays or pauses, it does
        // not press that button.
        togglePlay();
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  applyZoom();
  render(0);
})();
