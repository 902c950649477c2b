/* Passkeys (WebAuthn) for forms marked data-webauthn="create" or "get".
 *
 * The page carries the options (JSON from the server, binary fields in base64url) in
 * data-options. On submit this script runs the browser's ceremony, puts the answer as JSON
 * into the form's hidden "credential" field, and sends the form as usual; the server's answer
 * is an ordinary page. Without this script the forms still submit, and the server explains
 * that passkeys need JavaScript. No inline script: the site's CSP forbids it.
 */
(function () {
  "use strict";

  function toBuffer(value) {
    var base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var binary = window.atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) { bytes[i] = binary.charCodeAt(i); }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i += 1) { binary += String.fromCharCode(bytes[i]); }
    return window.btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      var copy = Object.assign({}, item);
      copy.id = toBuffer(item.id);
      return copy;
    });
  }

  function creationOptions(options) {
    options.challenge = toBuffer(options.challenge);
    options.user.id = toBuffer(options.user.id);
    options.excludeCredentials = descriptors(options.excludeCredentials);
    return options;
  }

  function requestOptions(options) {
    options.challenge = toBuffer(options.challenge);
    options.allowCredentials = descriptors(options.allowCredentials);
    return options;
  }

  function answer(credential) {
    var response = credential.response;
    var out = {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
      response: { clientDataJSON: toBase64url(response.clientDataJSON) }
    };
    if (response.attestationObject) {
      out.response.attestationObject = toBase64url(response.attestationObject);
      out.response.transports = response.getTransports ? response.getTransports() : [];
    }
    if (response.authenticatorData) {
      out.response.authenticatorData = toBase64url(response.authenticatorData);
      out.response.signature = toBase64url(response.signature);
      out.response.userHandle = response.userHandle ? toBase64url(response.userHandle) : null;
    }
    return JSON.stringify(out);
  }

  function enhance(form) {
    var status = form.querySelector("[data-webauthn-status]");
    var say = function (text) { if (status) { status.textContent = text; } };
    if (!window.PublicKeyCredential || !navigator.credentials) {
      say(form.getAttribute("data-unsupported"));
      return;
    }
    form.addEventListener("submit", function (event) {
      var field = form.querySelector("input[name='credential']");
      if (!field || field.value) { return; }
      event.preventDefault();
      var options = JSON.parse(form.getAttribute("data-options"));
      var ceremony = form.getAttribute("data-webauthn") === "create"
        ? navigator.credentials.create({ publicKey: creationOptions(options) })
        : navigator.credentials.get({ publicKey: requestOptions(options) });
      ceremony.then(function (credential) {
        field.value = answer(credential);
        form.submit();
      }).catch(function (error) {
        say(form.getAttribute("data-failed") + " (" + (error && error.name ? error.name : "Error") + ")");
      });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-webauthn]"), enhance);
}());
