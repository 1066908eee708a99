/* Release pages: the video player's enhancements, and the "Copy" buttons of the citation.
 *
 * Without JavaScript the page works as it is: the browser's own player with the MP4
 * files, a download link, and a selectable citation. With it, for each [data-player]:
 *  - adaptive streaming: when the recording has several quality rungs (data-hls-src is set)
 *    and hls.js can run here (Media Source Extensions), hls.js (static/vendor/hls.js, loaded
 *    only then) plays the HLS master playlist; otherwise, or if hls.js fails, the <video>
 *    keeps its MP4 <source>s. One rung has nothing to adapt between: the MP4 is served with
 *    Range requests and seeks as well.
 *  - a timeline under the video: a position slider (keyboard-operable) that shows the
 *    storyboard thumbnail of the time under the pointer or at the slider's value, and one
 *    button per redaction that seeks to it and points at its row in the redaction log.
 *  - the log's rows get "Watch" buttons, and the rows of redactions on screen are marked.
 * State for tests and curious readers: window.portalPlayers (one entry per player), and
 * on each <video>: data-player-mode ("hls" or "mp4"), data-hls-levels (number of levels),
 * data-hls-heights (their heights, comma-separated). No framework.
 */
(function () {
  "use strict";

  var players = (window.portalPlayers = window.portalPlayers || []);
  var script = document.currentScript;
  var hlsScriptUrl = script && script.getAttribute("data-hls-script");
  var hlsLoading = null;

  function loadHls() {
    if (window.Hls) {
      return Promise.resolve(window.Hls);
    }
    if (!hlsLoading) {
      hlsLoading = new Promise(function (resolve, reject) {
        var tag = document.createElement("script");
        tag.src = hlsScriptUrl;
        tag.onload = function () {
          if (window.Hls) {
            resolve(window.Hls);
          } else {
            reject(new Error("hls.js did not load"));
          }
        };
        tag.onerror = function () {
          reject(new Error("hls.js did not load"));
        };
        document.head.appendChild(tag);
      });
    }
    return hlsLoading;
  }

  function canUseMse() {
    return !!(window.MediaSource || window.ManagedMediaSource) && !!hlsScriptUrl;
  }

  function timecode(seconds) {
    var total = Math.max(0, Math.round(seconds * 10));
    var tenths = total % 10;
    var secs = Math.floor(total / 10) % 60;
    var mins = Math.floor(total / 600);
    return (mins < 10 ? "0" : "") + mins + ":" + (secs < 10 ? "0" : "") + secs + "." + tenths;
  }

  function seek(video, seconds) {
    var go = function () {
      video.currentTime = seconds;
    };
    if (video.readyState >= 1) {
      go();
    } else {
      video.addEventListener("loadedmetadata", go, { once: true });
      if (video.preload === "none") {
        video.load();
      }
    }
  }

  // --- adaptive streaming -----------------------------------------------------------------

  function attachHls(player, entry) {
    var video = entry.video;
    var src = player.getAttribute("data-hls-src");
    if (!src || !canUseMse()) {
      return;
    }
    loadHls()
      .then(function (Hls) {
        if (!Hls.isSupported()) {
          return;
        }
        var hls = new Hls({ capLevelToPlayerSize: true, startLevel: -1 });
        entry.hls = hls;
        hls.on(Hls.Events.MANIFEST_PARSED, function () {
          video.dataset.hlsLevels = String(hls.levels.length);
          video.dataset.hlsHeights = hls.levels
            .map(function (level) {
              return level.height;
            })
            .join(",");
        });
        hls.on(Hls.Events.LEVEL_SWITCHED, function (event, data) {
          video.dataset.hlsLevel = String(data.level);
        });
        hls.on(Hls.Events.ERROR, function (event, data) {
          if (data.fatal) {
            fallBackToMp4(entry);
          }
        });
        hls.loadSource(src);
        hls.attachMedia(video);
        entry.mode = "hls";
        video.dataset.playerMode = "hls";
      })
      .catch(function () {
        fallBackToMp4(entry);
      });
  }

  function fallBackToMp4(entry) {
    var video = entry.video;
    var at = video.currentTime || 0;
    if (entry.hls) {
      entry.hls.destroy();
      entry.hls = null;
    }
    entry.mode = "mp4";
    video.dataset.playerMode = "mp4";
    delete video.dataset.hlsLevels;
    // Without a src attribute the browser picks one of the <source> elements again.
    video.removeAttribute("src");
    video.load();
    if (at) {
      seek(video, at);
    }
  }

  // --- storyboard thumbnails ----------------------------------------------------------------

  function parseTimestamp(text) {
    var parts = text.trim().split(":").map(parseFloat);
    var seconds = 0;
    for (var i = 0; i < parts.length; i++) {
      seconds = seconds * 60 + parts[i];
    }
    return seconds;
  }

  // WebVTT cues whose text is "sprite.jpg#xywh=x,y,w,h" (releases.media.hls.storyboard_vtt).
  function parseStoryboard(text, baseUrl) {
    var cues = [];
    var blocks = text.replace(/\r/g, "").split(/\n\n+/);
    blocks.forEach(function (block) {
      var lines = block.split("\n");
      for (var i = 0; i < lines.length - 1; i++) {
        var times = lines[i].split("-->");
        if (times.length !== 2) {
          continue;
        }
        var ref = lines[i + 1].trim();
        var match = /^(.*)#xywh=(\d+),(\d+),(\d+),(\d+)$/.exec(ref);
        if (!match) {
          continue;
        }
        cues.push({
          start: parseTimestamp(times[0]),
          end: parseTimestamp(times[1].trim().split(/\s+/)[0]),
          url: new URL(match[1], baseUrl).href,
          x: +match[2],
          y: +match[3],
          w: +match[4],
          h: +match[5],
        });
      }
    });
    return cues;
  }

  function setUpStoryboard(player, entry, slider) {
    var url = player.getAttribute("data-storyboard");
    var preview = player.querySelector("[data-preview]");
    if (!url || !preview || !window.fetch) {
      return;
    }
    var image = preview.querySelector(".storyboard-image");
    var label = preview.querySelector(".storyboard-time");
    var cues = [];
    fetch(url, { credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.text() : "";
      })
      .then(function (text) {
        cues = parseStoryboard(text, new URL(url, document.baseURI).href);
        player.dataset.storyboardCues = String(cues.length);
      })
      .catch(function () {});

    function show(seconds, fraction) {
      var cue = null;
      for (var i = 0; i < cues.length; i++) {
        if (seconds >= cues[i].start && seconds < cues[i].end) {
          cue = cues[i];
          break;
        }
      }
      if (!cue && cues.length) {
        cue = cues[cues.length - 1];
      }
      if (!cue) {
        return;
      }
      image.style.width = cue.w + "px";
      image.style.height = cue.h + "px";
      image.style.backgroundImage = 'url("' + cue.url + '")';
      image.style.backgroundPosition = -cue.x + "px " + -cue.y + "px";
      label.textContent = timecode(seconds);
      var track = slider.getBoundingClientRect();
      var host = slider.parentNode.getBoundingClientRect();
      var left = track.left - host.left + fraction * track.width - cue.w / 2;
      preview.style.left = Math.max(0, Math.min(left, host.width - cue.w)) + "px";
      preview.hidden = false;
    }

    function duration() {
      return entry.video.duration || parseFloat(slider.max) || 0;
    }

    slider.addEventListener("pointermove", function (event) {
      var rect = slider.getBoundingClientRect();
      var fraction = Math.min(1, Math.max(0, (event.clientX - rect.left) / rect.width));
      show(fraction * duration(), fraction);
    });
    slider.addEventListener("pointerleave", function () {
      if (document.activeElement !== slider) {
        preview.hidden = true;
      }
    });
    var fromValue = function () {
      var total = duration();
      show(parseFloat(slider.value), total ? parseFloat(slider.value) / total : 0);
    };
    slider.addEventListener("focus", fromValue);
    slider.addEventListener("input", fromValue);
    slider.addEventListener("blur", function () {
      preview.hidden = true;
    });
  }

  // --- the timeline: position slider and redaction markers ----------------------------------

  function setUpTimeline(player, entry) {
    var video = entry.video;
    var timeline = player.querySelector("[data-timeline]");
    if (!timeline) {
      return;
    }
    timeline.hidden = false;
    var slider = timeline.querySelector("[data-seek]");
    var dragging = false;

    function syncMax() {
      if (isFinite(video.duration) && video.duration > 0) {
        slider.max = video.duration.toFixed(3);
      }
    }
    function syncValue() {
      if (!dragging) {
        slider.value = String(video.currentTime);
      }
      slider.setAttribute("aria-valuetext", timecode(video.currentTime));
    }
    video.addEventListener("loadedmetadata", syncMax);
    video.addEventListener("durationchange", syncMax);
    video.addEventListener("timeupdate", syncValue);
    video.addEventListener("seeked", syncValue);
    slider.setAttribute("aria-valuetext", timecode(0));
    slider.addEventListener("pointerdown", function () {
      dragging = true;
    });
    document.addEventListener("pointerup", function () {
      dragging = false;
    });
    slider.addEventListener("input", function () {
      seek(video, parseFloat(slider.value));
      slider.setAttribute("aria-valuetext", timecode(parseFloat(slider.value)));
    });
    setUpStoryboard(player, entry, slider);

    timeline.querySelectorAll(".redaction-marker").forEach(function (button) {
      button.addEventListener("click", function () {
        goToRedaction(video, button);
      });
    });
  }

  function rowOf(button) {
    var id = button.getAttribute("data-row");
    return id ? document.getElementById(id) : null;
  }

  function goToRedaction(video, button) {
    seek(video, parseFloat(button.getAttribute("data-start")));
    document.querySelectorAll("tr.is-selected").forEach(function (row) {
      row.classList.remove("is-selected");
    });
    var row = rowOf(button);
    if (row) {
      row.classList.add("is-selected");
    }
  }

  function markPlayingRows(entry) {
    var video = entry.video;
    var rows = [];
    entry.player.querySelectorAll(".redaction-marker").forEach(function (button) {
      var row = rowOf(button);
      if (row) {
        rows.push({
          row: row,
          button: button,
          start: parseFloat(button.getAttribute("data-start")),
          end: parseFloat(button.getAttribute("data-end")),
        });
      }
    });
    if (!rows.length) {
      return;
    }
    video.addEventListener("timeupdate", function () {
      var t = video.currentTime;
      rows.forEach(function (item) {
        var on = t >= item.start && t < item.end;
        item.row.classList.toggle("is-playing", on);
        item.button.classList.toggle("is-playing", on);
      });
    });
  }

  // "Watch" buttons in the redaction log's rows.
  document.querySelectorAll("button.seek-to").forEach(function (button) {
    var video = document.getElementById(button.getAttribute("data-video"));
    if (!video) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      goToRedaction(video, button);
      video.scrollIntoView({ block: "nearest" });
    });
  });

  document.querySelectorAll("[data-player]").forEach(function (player) {
    var video = player.querySelector("video");
    if (!video) {
      return;
    }
    var entry = { player: player, video: video, hls: null, mode: "mp4" };
    video.dataset.playerMode = "mp4";
    players.push(entry);
    setUpTimeline(player, entry);
    markPlayingRows(entry);
    attachHls(player, entry);
  });

  // --- copy buttons (citation, embed code) --------------------------------------------------

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var id = button.getAttribute("data-copy");
    var source = document.getElementById(id);
    var status = document.querySelector('[data-copy-status="' + id + '"]');
    if (!source) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function (ok) {
        if (status) {
          status.textContent = button.getAttribute(ok ? "data-copied" : "data-copy-failed") || "";
        }
        if (!ok) {
          source.focus();
          source.select();
        }
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(source.value).then(
          function () {
            done(true);
          },
          function () {
            done(false);
          }
        );
      } else {
        source.focus();
        source.select();
        var ok = false;
        try {
          ok = document.execCommand("copy");
        } catch (e) {
          ok = false;
        }
        done(ok);
      }
    });
  });
})();
