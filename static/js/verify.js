/* Verify page: hash a chosen file in the browser and look up only its SHA-256.
 *
 * The file never leaves the device: crypto.subtle computes the fingerprint, which fills
 * the form's sha256 field before the (GET) form is submitted. Without JavaScript, or where
 * crypto.subtle is missing (it needs a secure context: https or localhost), the file
 * chooser stays hidden and the paste-a-fingerprint form works on its own. No libraries.
 */
(function () {
  "use strict";

  var form = document.getElementById("verify-form");
  if (!form) {
    return;
  }
  var box = document.getElementById("verify-file");
  var input = document.getElementById("verify-file-input");
  var status = document.getElementById("verify-file-status");
  var field = form.elements.namedItem("sha256");

  // After a lookup, move focus to the result so it is read out after the page load.
  var heading = document.getElementById("result-heading");
  if (heading && !document.querySelector("[aria-invalid='true']")) {
    heading.focus();
  }

  if (!box || !input || !field || !window.crypto || !window.crypto.subtle || !window.Blob || !Blob.prototype.arrayBuffer) {
    return;
  }
  box.hidden = false;

  function toHex(buffer) {
    return Array.from(new Uint8Array(buffer), function (byte) {
      return byte.toString(16).padStart(2, "0");
    }).join("");
  }

  input.addEventListener("change", async function () {
    var file = input.files && input.files[0];
    if (!file) {
      return;
    }
    status.textContent = form.dataset.hashing.replace("%(name)s", file.name);
    input.disabled = true;
    try {
      var digest = await window.crypto.subtle.digest("SHA-256", await file.arrayBuffer());
      field.value = toHex(digest);
    } catch (error) {
      status.textContent = form.dataset.failed;
      input.disabled = false;
      return;
    }
    status.textContent = form.dataset.done;
    form.submit();
  });
})();
