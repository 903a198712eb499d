/* Scan the code posted at a stall with the phone's camera (the stall's code check and
 * a walk step page; markup in templates/macros/scanner.html).
 *
 * No checking happens here. The text read from the QR goes into the payload field of
 * the page's check form, and the form is submitted to the stall-aware check on the
 * server, which says whether the code belongs to this stall. Frames are read with the
 * browser's BarcodeDetector where it reads QR codes, otherwise with the vendored
 * zxing-wasm reader (static/vendor/zxing-wasm/, loaded only then, its .wasm from this
 * site; scripts/vendor_assets.sh). Without JavaScript or a camera API the button stays
 * hidden; when the camera cannot be opened the page says why and what to do instead
 * (the photo upload of the check page).
 */
(function () {
  "use strict";
  var root = document.querySelector("[data-scanner]");
  var media = navigator.mediaDevices;
  if (!root || !media || !media.getUserMedia || !window.Promise) { return; }
  var form = document.getElementById(root.dataset.form);
  var payload = form && form.elements.namedItem("payload");
  if (!payload) { return; }

  var startButton = root.querySelector("[data-scan-start]");
  var view = root.querySelector("[data-scan-view]");
  var video = view.querySelector("video");
  var cancelButton = root.querySelector("[data-scan-cancel]");
  var statusLine = root.querySelector("[data-scan-status]");
  var errorLine = root.querySelector("[data-scan-error]");
  var PAUSE_MS = 120;        // between two reads of the frame, so the phone stays cool
  var LARGEST_SIDE = 1280;   // frames are scaled down to this before zxing-wasm reads them
  var CAMERA_DENIED = ["NotAllowedError", "SecurityError", "PermissionDeniedError"];
  var NO_CAMERA = ["NotFoundError", "DevicesNotFoundError", "OverconstrainedError",
    "NotReadableError", "TrackStartError", "AbortError"];

  var stream = null;
  var timer = null;
  var session = 0;           // bumped by stop(): late answers of an old session are dropped
  var decoderReady = null;

  function setState(state) { root.dataset.state = state; }

  function say(text) { statusLine.textContent = text || ""; }

  function fail(message) {
    errorLine.textContent = message + " " + root.dataset.fallback;
    errorLine.hidden = false;
    setState("error");
  }

  function messageFor(error) {
    var name = error && error.name;
    if (CAMERA_DENIED.indexOf(name) >= 0) { return root.dataset.denied; }
    if (NO_CAMERA.indexOf(name) >= 0) { return root.dataset.noCamera; }
    return root.dataset.failed;
  }

  // --- decoders: each reads a playing <video> and answers the texts of the QR codes in it

  function nativeDecoder() {
    var Detector = window.BarcodeDetector;
    if (!Detector || !Detector.getSupportedFormats) { return Promise.resolve(null); }
    return Detector.getSupportedFormats().then(function (formats) {
      if (formats.indexOf("qr_code") < 0) { return null; }
      var detector = new Detector({ formats: ["qr_code"] });
      return {
        name: "barcode-detector",
        read: function (source) {
          return detector.detect(source).then(function (codes) {
            return codes.map(function (code) { return code.rawValue; });
          });
        }
      };
    }).catch(function () { return null; });
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.appendChild(script);
    });
  }

  function wasmDecoder() {
    var wasmUrl = new URL(root.dataset.wasm, document.baseURI).href;
    var canvas = document.createElement("canvas");
    var context = canvas.getContext("2d", { willReadFrequently: true });
    var loaded = window.ZXingWASM ? Promise.resolve() : loadScript(root.dataset.reader);
    return loaded.then(function () {
      // Replaces the package's default CDN address: the .wasm is served from this site.
      return window.ZXingWASM.prepareZXingModule({
        overrides: {
          locateFile: function (path, prefix) {
            return /\.wasm$/.test(path) ? wasmUrl : prefix + path;
          }
        },
        fireImmediately: true
      });
    }).then(function () {
      return {
        name: "zxing-wasm",
        read: function (source) {
          var scale = Math.min(1, LARGEST_SIDE / Math.max(source.videoWidth, source.videoHeight));
          canvas.width = Math.round(source.videoWidth * scale);
          canvas.height = Math.round(source.videoHeight * scale);
          context.drawImage(source, 0, 0, canvas.width, canvas.height);
          var frame = context.getImageData(0, 0, canvas.width, canvas.height);
          return window.ZXingWASM.readBarcodes(frame, {
            formats: ["QRCode"], tryHarder: true, maxNumberOfSymbols: 4
          }).then(function (results) {
            return results.filter(function (result) { return result.isValid; })
              .map(function (result) { return result.text; });
          });
        }
      };
    });
  }

  function decoder() {
    if (!decoderReady) {
      decoderReady = nativeDecoder().then(function (native) { return native || wasmDecoder(); });
      // A failed load may succeed on the next press (a dropped connection, say).
      decoderReady.catch(function () { decoderReady = null; });
    }
    return decoderReady;
  }

  // A stand may carry several codes; the VietQR one is what shoppers pay (as the server
  // picks from an uploaded photo).
  function chosen(texts) {
    var read = texts.filter(function (text) { return text; });
    var vietqr = read.filter(function (text) { return text.indexOf("000201") === 0; });
    return vietqr[0] || read[0] || null;
  }

  // --- the camera

  function stop() {
    session += 1;
    clearTimeout(timer);
    timer = null;
    if (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
    }
    video.pause();
    video.srcObject = null;
    view.hidden = true;
    startButton.hidden = false;
    startButton.disabled = false;
    setState("idle");
  }

  function scanFrames(read, mine) {
    if (mine !== session) { return; }
    var again = function () {
      if (mine === session) { timer = setTimeout(scanFrames, PAUSE_MS, read, mine); }
    };
    if (video.readyState < 2 || !video.videoWidth) { again(); return; }
    // A frame that fails to read (thrown or rejected) is skipped, not the end of the scan.
    Promise.resolve().then(function () { return read(video); }).then(function (texts) {
      if (mine !== session) { return; }
      var text = chosen(texts);
      if (text === null) { again(); return; }
      submit(text);
    }, again);
  }

  function submit(text) {
    stop();
    setState("submitting");
    say(root.dataset.read);
    startButton.disabled = true;
    payload.value = text;
    // The text is what the server checks; an earlier chosen photo need not travel too.
    var photo = form.elements.namedItem("photo");
    if (photo) { photo.value = ""; }
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  function start() {
    stop();
    var mine = session;
    errorLine.hidden = true;
    startButton.hidden = true;  // the cancel button takes its place while the camera is on
    view.hidden = false;
    cancelButton.focus();
    setState("starting");
    say(root.dataset.starting);
    var reading = decoder();
    reading.catch(function () {});  // reported below, after the camera's own errors
    media.getUserMedia({
      audio: false,
      video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } }
    }).then(function (opened) {
      if (mine !== session) {
        opened.getTracks().forEach(function (track) { track.stop(); });
        return null;
      }
      stream = opened;
      video.srcObject = opened;
      return video.play();
    }).then(function () {
      return reading;
    }).then(function (found) {
      if (mine !== session) { return; }
      root.dataset.decoder = found.name;
      setState("scanning");
      say(root.dataset.aiming);
      scanFrames(found.read, mine);
    }).catch(function (error) {
      if (mine !== session) { return; }
      stop();
      say("");
      fail(messageFor(error));
      startButton.focus();
    });
  }

  startButton.addEventListener("click", start);
  function cancel() {
    stop();
    say("");
    startButton.focus();
  }
  cancelButton.addEventListener("click", cancel);
  root.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !view.hidden) { cancel(); }
  });
  // The camera is never left on behind the user's back: leaving the page, switching
  // apps or locking the phone ends it (press the button again to go on).
  window.addEventListener("pagehide", stop);
  document.addEventListener("visibilitychange", function () {
    if (document.hidden && !view.hidden) { stop(); say(""); }
  });
  // Back from the verdict page (bfcache): a fresh button, not a "checking…" line.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { stop(); say(""); }
  });

  setState("idle");
  startButton.hidden = false;
})();
