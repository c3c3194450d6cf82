/* Loyalty widget: the member's birthday form, sent through window.LoyaltySDK. */
(function () {
  'use strict';

  var form = document.querySelector('[data-loyalty-birthday]');
  if (!form) return;
  var status = document.querySelector('[data-loyalty-status]');
  var text = JSON.parse(document.querySelector('[data-loyalty-i18n]').textContent);

  form.addEventListener('submit', function (event) {
    var field = form.elements;
    event.preventDefault();
    status.textContent = text.birthday_saving;
    // Looked up here, not at load: the widget's script may run after this one.
    window.LoyaltySDK.request('POST', '/customer/birthday', null, {
      day: Number(field.day.value), month: Number(field.month.value),
      year: field.year.value ? Number(field.year.value) : null
    }).then(function () {
      status.textContent = text.birthday_saved;
    }, function (error) {
      status.textContent = error.message;
    });
  });
})();
