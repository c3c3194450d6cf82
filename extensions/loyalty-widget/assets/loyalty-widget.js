/* Loyalty widget: launcher, ways to earn, tier progress; window.LoyaltySDK for theme developers. */
(function () {
  'use strict';

  var root = document.querySelector('[data-loyalty-widget]');
  var base = ((root && root.getAttribute('data-proxy-url')) || '/apps/loyalty').replace(/\/$/, '');

  // Shopify signs the query, not the path: a nonce keeps two writes in one second from
  // looking like a replay.
  function nonce() {
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function request(method, path, query, body) {
    var params = new URLSearchParams(query || {});
    if (method !== 'GET') params.set('nonce', nonce());
    var search = params.toString();
    return fetch(base + path + (search ? '?' + search : ''), {
      method: method,
      credentials: 'same-origin',
      headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: body && JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (response.ok) return body;
        var problem = (body.errors && body.errors[0]) || {};
        var error = new Error(problem.detail || response.statusText || 'Request failed');
        error.status = response.status;
        error.title = problem.title;
        throw error;
      });
    });
  }

  // JSON:API resources become plain objects: { id, ...attributes }.
  function flat(resource) {
    var out = { id: resource.id };
    for (var key in resource.attributes) out[key] = resource.attributes[key];
    return out;
  }

  var SDK = {
    request: request, // (method, path, query, body): one signed call
    getCustomer: function () {
      return request('GET', '/customer').then(function (body) { return body.data.attributes; });
    },
    getEarningRules: function () {
      return request('GET', '/earning-rules').then(function (body) { return body.data.map(flat); });
    },
    claim: function (ruleId) {
      return request('POST', '/earning-rules/' + encodeURIComponent(ruleId) + '/claim')
        .then(function (body) { return flat(body.data); });
    },
    getVipTiers: function () {
      return request('GET', '/vip-tiers').then(function (body) { return body.data.map(flat); });
    },
    getHistory: function (options) {
      return page('/history', options);
    }
  };

  function page(path, options) {
    var o = options || {};
    return request('GET', path, { page: o.page || 1, per_page: o.perPage || 20 }).then(function (body) {
      return { entries: body.data.map(flat), page: body.meta.page, perPage: body.meta.per_page, total: body.meta.total };
    });
  }
  window.LoyaltySDK = SDK;
  // For loyalty-rewards.js.
  var hook = window.LoyaltyWidget = { flat: flat, page: page, root: root };

  if (!root) return;

  function readJson(selector) {
    var node = root.querySelector(selector);
    try { return (node && JSON.parse(node.textContent)) || null; } catch (e) { return null; }
  }

  var text = readJson('[data-loyalty-i18n]') || {};
  var state = readJson('[data-loyalty-state]');
  var loggedIn = root.getAttribute('data-logged-in') === 'true';
  var locale = document.documentElement.lang || undefined;
  var launcher = root.querySelector('[data-loyalty-launcher]');
  var panel = root.querySelector('[data-loyalty-panel]');
  var rulesList = root.querySelector('[data-loyalty-rules]');
  var status = root.querySelector('[data-loyalty-status]');
  var rules = null;

  function t(key, values) {
    return String(text[key] || '').replace(/\{(\w+)\}/g, function (match, name) {
      return values && name in values ? values[name] : match;
    });
  }

  function number(value) {
    return Number(value || 0).toLocaleString(locale);
  }

  // The metafield may hold a tier as an object or as its name alone.
  function tierName(tier) {
    return tier && typeof tier === 'object' ? tier.name : tier;
  }

  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    for (var name in attributes || {}) node.setAttribute(name, attributes[name]);
    (children || []).forEach(function (child) {
      if (child != null) node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }

  function announce(message) {
    status.textContent = message;
  }

  function progressPercent(s) {
    if (!s.next_tier) return 100;
    var from = (s.vip_tier && s.vip_tier.points_required) || 0;
    var to = s.next_tier.points_required != null ? s.next_tier.points_required
      : (s.lifetime_points || 0) + (s.points_to_next_tier || 0);
    var share = ((s.lifetime_points || 0) - from) / Math.max(to - from, 1);
    return Math.max(0, Math.min(100, Math.round(share * 100)));
  }

  function renderLauncher() {
    var balance = root.querySelector('[data-loyalty-balance]');
    var tier = root.querySelector('[data-loyalty-tier]');
    if (!state || !balance) return;
    balance.textContent = t('balance', { points: number(state.points_balance) });
    var name = tierName(state.vip_tier);
    tier.textContent = name ? t('tier', { tier: name }) : t('member');
  }

  function renderSummary() {
    var summary = root.querySelector('[data-loyalty-summary]');
    if (!summary || !state) return;
    var percent = progressPercent(state);
    var caption = state.next_tier
      ? t('tier_progress', { points: number(state.points_to_next_tier), tier: tierName(state.next_tier) })
      : t('top_tier');
    var bar = el('div', {
      class: 'loyalty-widget__progress', role: 'progressbar', 'aria-label': t('progress_label'),
      'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(percent), 'aria-valuetext': caption
    }, [el('span', { class: 'loyalty-widget__progress-fill', style: 'width:' + percent + '%' })]);
    var name = tierName(state.vip_tier);
    summary.replaceChildren.apply(summary, [
      el('p', { class: 'loyalty-widget__big-balance' }, [t('balance', { points: number(state.points_balance) })]),
      el('p', { class: 'loyalty-widget__tier-line' }, [name ? t('tier', { tier: name }) : t('member')]),
      bar,
      el('p', { class: 'loyalty-widget__caption' }, [caption]),
      state.pending_points ? el('p', {}, [t('pending', { points: number(state.pending_points) })]) : null,
      state.points_expire_at
        ? el('p', {}, [t('expires', { date: new Date(state.points_expire_at).toLocaleDateString(locale) })]) : null,
      state.status === 'excluded' ? el('p', { class: 'loyalty-widget__notice' }, [t('excluded')]) : null
    ].filter(Boolean));
  }

  function ruleAction(rule) {
    if (!rule.claimable) return el('span', { class: 'loyalty-widget__state' }, [t('automatic')]);
    if (!loggedIn || (state && state.status === 'excluded')) return null;
    if (rule.completion && rule.completion !== 'not_started') {
      return el('span', { class: 'loyalty-widget__state' }, [t(rule.completion === 'approved' ? 'approved'
        : rule.completion === 'pending' ? 'pending_approval' : 'rejected')]);
    }
    var button = el('button', {
      type: 'button', class: 'loyalty-widget__claim', 'data-loyalty-claim': rule.id,
      'aria-label': t('claim_rule', { points: number(rule.points_to_give), rule: rule.name })
    }, [t('claim')]);
    button.addEventListener('click', function () { claim(rule, button); });
    return button;
  }

  function renderRules() {
    rulesList.replaceChildren.apply(rulesList, rules.map(function (rule) {
      return el('li', { class: 'loyalty-widget__rule', tabindex: '-1', 'data-loyalty-rule': rule.id }, [
        el('span', { class: 'loyalty-widget__rule-name' }, [rule.name]),
        el('span', { class: 'loyalty-widget__reward' }, [t('reward', { points: number(rule.points_to_give) })]),
        ruleAction(rule)
      ]);
    }));
  }

  function loadRules() {
    rulesList.setAttribute('aria-busy', 'true');
    announce(t('loading'));
    SDK.getEarningRules().then(function (loaded) {
      rules = loaded;
      renderRules();
      announce('');
    }, function () {
      announce(t('load_failed'));
    }).then(function () { rulesList.setAttribute('aria-busy', 'false'); });
  }

  function loadCustomer() {
    return SDK.getCustomer().then(function (customer) {
      state = customer;
      renderLauncher();
      renderSummary();
    });
  }

  function claim(rule, button) {
    // Opened first and synchronously, inside the click, so popup blockers allow it.
    if (rule.call_to_action_url) window.open(rule.call_to_action_url, '_blank', 'noopener');
    button.disabled = true;
    announce(t('claiming'));
    SDK.claim(rule.id).then(function (entry) {
      rule.completion = entry.status;
      renderRules();
      // The button is gone: focus its rule, which now tells the new state.
      rulesList.querySelector('[data-loyalty-rule="' + CSS.escape(rule.id) + '"]').focus();
      announce(t(entry.status === 'pending' ? 'claimed_pending' : 'claimed', { points: number(entry.points) }));
      return loadCustomer();
    }).catch(function (error) {
      button.disabled = false;
      announce(error.message);
    });
  }

  function open() {
    panel.hidden = false;
    launcher.setAttribute('aria-expanded', 'true');
    panel.focus();
    if (!rules) loadRules();
  }

  function close() {
    panel.hidden = true;
    launcher.setAttribute('aria-expanded', 'false');
    launcher.focus();
  }

  launcher.addEventListener('click', function () { panel.hidden ? open() : close(); });
  root.querySelector('[data-loyalty-close]').addEventListener('click', close);
  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' && !panel.hidden) close();
  });
  Object.assign(hook, { el: el, t: t, number: number, loadCustomer: loadCustomer });
  renderLauncher();
  renderSummary();
  // No metafield yet (new, or not synced yet): the balance comes from the app.
  if (loggedIn && !state) loadCustomer().catch(function () {});
})();
