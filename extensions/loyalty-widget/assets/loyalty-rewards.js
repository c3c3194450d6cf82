/* LoyaltySDK's reward methods, and the widget's rewards view: costs, tier locks, redeeming after a
   confirm, the code to copy or apply to the cart. Built on what loyalty-widget.js shares. */
(function () {
  'use strict';

  // Both scripts are deferred, and deferred scripts run before DOMContentLoaded, in either order.
  if (!window.LoyaltyWidget) {
    document.addEventListener('DOMContentLoaded', start);
    return;
  }
  start();

  function start() {
    var w = window.LoyaltyWidget;
    var SDK = window.LoyaltySDK;
    SDK.getShopRewards = function () {
      return SDK.request('GET', '/rewards').then(function (body) { return body.data.map(w.flat); });
    };
    // options.points: what to spend on a per-point reward.
    SDK.redeemReward = function (rewardId, options) {
      var points = options && options.points;
      return SDK.request('POST', '/rewards/' + encodeURIComponent(rewardId) + '/redeem', null,
        points ? { points: points } : undefined).then(function (body) { return w.flat(body.data); });
    };
    SDK.getCustomerRewards = function (options) {
      return w.page('/my-rewards', options);
    };
    if (!w.root) return;
    var rewardsList = w.root.querySelector('[data-loyalty-rewards]');
    var codeBox = w.root.querySelector('[data-loyalty-code]');
    var status = w.root.querySelector('[data-loyalty-status]');
    var rewards = null;

    function announce(message) {
      status.textContent = message;
    }

    function rewardAction(reward) {
      if (reward.locked) {
        return w.el('span', { class: 'loyalty-widget__state' }, [w.t('locked', { tier: reward.vip_tier && reward.vip_tier.name })]);
      }
      if (w.root.getAttribute('data-logged-in') !== 'true') return null;
      var perPoint = reward.pricing === 'per_point';
      var stepper = perPoint ? w.el('input', {
        type: 'number', class: 'loyalty-widget__points', min: String(reward.min_points), max: String(reward.max_points),
        step: String(reward.points_per_unit), value: String(reward.min_points), 'aria-label': w.t('points_to_spend')
      }) : null;
      var button = w.el('button', {
        type: 'button', class: 'loyalty-widget__claim', 'data-loyalty-redeem': reward.id,
        'aria-label': w.t('redeem_reward', { reward: reward.name })
      }, [w.t('redeem')]);
      if (!reward.affordable) button.disabled = true;
      button.addEventListener('click', function () {
        redeem(reward, button, stepper ? Number(stepper.value) : reward.points_cost, stepper);
      });
      return w.el('span', {}, [stepper, button]);
    }

    function renderRewards() {
      rewardsList.replaceChildren.apply(rewardsList, rewards.map(function (reward) {
        var cost = reward.pricing === 'per_point'
          ? w.t('per_point', { points: w.number(reward.points_per_unit) }) : w.t('cost', { points: w.number(reward.points_cost) });
        return w.el('li', { class: 'loyalty-widget__rule', 'data-loyalty-reward': reward.id }, [
          w.el('span', { class: 'loyalty-widget__rule-name' }, [reward.name]),
          w.el('span', { class: 'loyalty-widget__reward' }, [cost]),
          rewardAction(reward)
        ]);
      }));
    }

    function loadRewards() {
      SDK.getShopRewards().then(function (loaded) {
        rewards = loaded;
        renderRewards();
      }, function () { announce(w.t('load_failed')); });
    }

    function showCode(entry) {
      var code = entry.discount_code;
      var copy = w.el('button', { type: 'button', class: 'loyalty-widget__claim' }, [w.t('copy')]);
      copy.addEventListener('click', function () {
        navigator.clipboard.writeText(code).then(function () { announce(w.t('copied')); }, function () {});
      });
      codeBox.replaceChildren(
        w.el('p', {}, [w.t('your_code', { reward: entry.reward_name })]),
        w.el('code', { class: 'loyalty-widget__code', 'data-loyalty-code-value': '' }, [code]),
        copy,
        w.el('a', { href: '/discount/' + encodeURIComponent(code) + '?redirect=/cart' }, [w.t('apply_code')])
      );
      codeBox.hidden = false;
    }

    function redeem(reward, button, points, stepper) {
      if (!window.confirm(w.t('confirm_redeem', { reward: reward.name, points: w.number(points) }))) return;
      button.disabled = true;
      announce(w.t('redeeming'));
      SDK.redeemReward(reward.id, stepper ? { points: points } : null).then(function (entry) {
        showCode(entry);
        announce(w.t('redeemed', { code: entry.discount_code }));
        return w.loadCustomer().then(loadRewards);
      }).catch(function (error) {
        button.disabled = false;
        announce(error.message);
      });
    }

    w.root.querySelector('[data-loyalty-launcher]').addEventListener('click', function () {
      if (!rewards) loadRewards();
    });
  }
})();
