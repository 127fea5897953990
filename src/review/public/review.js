// The reviewer's page works without this script; it only helps: a decision
// form is sent once (a second click does not post it again), and a denial
// asks for a reason before it leaves the page (the server checks again).
for (const form of document.querySelectorAll('form.decision')) {
  const reasons = [...form.querySelectorAll('input[name="reason"]')];
  const first = reasons[0];
  const checkReasons = () => {
    if (!first) return;
    first.setCustomValidity(reasons.some((r) => r.checked) ? '' : 'Choose at least one reason from the policy.');
  };
  for (const r of reasons) r.addEventListener('change', checkReasons);
  checkReasons();
  form.addEventListener('submit', (event) => {
    if (form.dataset.sent === 'true') {
      event.preventDefault();
      return;
    }
    form.dataset.sent = 'true';
    for (const button of form.querySelectorAll('button')) button.disabled = true;
  });
}
document.body.dataset.ready = 'true';
