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
  }

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

  render(0);
})();
