//! User coupons: pre-send, send (state, budgets, per-user limit, codes),
//! confirm, use, return, deactivate, get, list; and the partner-only coupon
//! bundles.

use coupon_model::common::CouponAvailablePeriod;
use coupon_model::coupon_bundle::{
    DeactivateUserCouponBundleBody, SendUserCouponBundleBody, UserCouponBundle,
};
use coupon_model::ids::RequestNo;
use coupon_model::stock::{CouponCodeMode, StockState};
use coupon_model::user_coupon::{
    ConfirmUserProductCouponBody, CouponTagInfo, CouponUsageDetail,
    DeactivateUserProductCouponBody, ListUserCouponsResponse, PreSendUserProductCouponBody,
    PreSendUserProductCouponResponse, ReturnUserProductCouponBody, SendChannel,
    SendUserProductCouponBody, UseUserProductCouponBody, UserCoupon, UserCouponBundleInfo,
    UserCouponState,
};
use coupon_model::webhook::ProductCouponEvent;

use super::{
    COUPON_STATE_ILLEGAL, Call, EVENT_SEND, EVENT_SP_SEND, Notice, OUTSIDE_USABLE_PERIOD,
    PER_USER_LIMIT, Reply, STOCK_NOT_SENDING, USED_BY_ANOTHER_ORDER, known_state, refused,
};
use crate::paging::{fingerprint, page};
use crate::respond::ApiError;
use crate::state::{CouponRecord, PreSendRecord, State, code_key, period_of, sp_key};
use crate::timeutil::{DAY, shanghai_day, timestamp, unix_of};

/// How long a pre-send token can be claimed: 5 minutes.
pub(crate) const PRE_SEND_TTL_SECS: i64 = 300;

/// The first user coupon bundle id.
const FIRST_USER_BUNDLE: u64 = 910_000_000_000;

/// What one send asks for.
#[derive(Debug, Clone)]
pub(crate) struct SendOrder {
    pub openid: String,
    pub appid: String,
    pub product_coupon_id: String,
    pub coupon_code: Option<String>,
    pub send_request_no: String,
    pub attach: Option<String>,
    pub coupon_tag_info: Option<CouponTagInfo>,
    pub channel: SendChannel,
    /// Whether the partner side sent it (the service provider is notified).
    pub partner: bool,
}

/// The validity `[begin, end]` of a coupon received at `now` from a stock
/// with `period`: a fixed period runs from the later of its start and the
/// receipt to its end; `available_days` runs that many days from receipt
/// (after `wait_days_after_receive`), within the period.
pub(crate) fn validity(period: Option<&CouponAvailablePeriod>, now: i64) -> (i64, i64) {
    let begin_of = period
        .and_then(|p| p.available_begin_time.as_ref())
        .and_then(unix_of);
    let end_of = period
        .and_then(|p| p.available_end_time.as_ref())
        .and_then(unix_of);
    match period.and_then(|p| p.available_days) {
        Some(days) => {
            let wait = period
                .and_then(|p| p.wait_days_after_receive)
                .unwrap_or(0)
                .max(0);
            let begin = now
                .saturating_add(wait.saturating_mul(DAY))
                .max(begin_of.unwrap_or(i64::MIN));
            let end = begin
                .saturating_add(days.max(1).saturating_mul(DAY))
                .saturating_sub(1)
                .min(end_of.unwrap_or(i64::MAX));
            (begin, end)
        }
        None => {
            let begin = begin_of.unwrap_or(now).max(now);
            let end = end_of.unwrap_or(begin.saturating_add(365 * DAY));
            (begin, end)
        }
    }
}

fn unionid_of(openid: &str) -> String {
    format!("o6_bm{}", openid.chars().skip(5).collect::<String>())
}

impl State {
    /// Whether coupon `code` can be given now: refused with the reason.
    fn check_sendable(
        &self,
        call: &Call<'_>,
        i: usize,
        openid: &str,
        assigned: Option<&str>,
    ) -> Result<(), ApiError> {
        let Some(s) = self.stocks.get(i) else {
            return Err(super::internal("the stock vanished"));
        };
        let id = s.stock.stock_id.as_str();
        let state = State::stock_state(s, call.now);
        if state != Some(StockState::Sending) {
            let shown = state.as_ref().map_or("-", |s| s.as_str());
            let hint = match state {
                Some(StockState::Auditing) => "wait for its review to finish",
                Some(StockState::Paused) => "resume it first",
                _ => "create a new stock",
            };
            return Err(refused(
                Some(STOCK_NOT_SENDING),
                format!("商品券批次状态不是发放中 (stock {id} is {shown}, not SENDING: {hint})"),
            ));
        }
        let rule = s
            .stock
            .stock_send_rule
            .unwrap_or(coupon_model::stock::StockSendRule::new(0, 1));
        let received = self.received_from(id, openid);
        if received >= rule.max_count_per_user {
            return Err(refused(
                Some(PER_USER_LIMIT),
                format!(
                    "用户领取券张数已达上限 (user {openid} already received {received} coupon(s) of stock {id}; max_count_per_user is {}, unconfirmed coupons included)",
                    rule.max_count_per_user
                ),
            ));
        }
        if s.sent_total >= rule.max_count {
            return Err(refused(
                None,
                format!(
                    "批次库存不足 (stock {id} has sent {} of its max_count {}; raise it with update-budget)",
                    s.sent_total, rule.max_count
                ),
            ));
        }
        if let Some(per_day) = rule.max_count_per_day {
            let today = if s.sent_day == shanghai_day(call.now) {
                s.sent_today
            } else {
                0
            };
            if today >= per_day {
                return Err(refused(
                    None,
                    format!(
                        "批次今日发放数量已达上限 (stock {id} has sent {today} today of its max_count_per_day {per_day}; the day turns at midnight Asia/Shanghai)"
                    ),
                ));
            }
        }
        match s.stock.coupon_code_mode {
            Some(CouponCodeMode::Upload) if s.codes.is_empty() && s.seeded_codes <= 0 => {
                return Err(refused(
                    None,
                    format!(
                        "批次可用券码不足 (UPLOAD stock {id} has no uploaded code left; upload more with upload-coupon-codes)"
                    ),
                ));
            }
            Some(CouponCodeMode::ApiAssign) => match assigned {
                None => {
                    return Err(ApiError::param(
                        "/coupon_code",
                        "body",
                        format!(
                            "缺少券码 (stock {id} is API_ASSIGN: the send request must carry coupon_code)"
                        ),
                    ));
                }
                Some(code) if !super::stocks::valid_code(code) => {
                    return Err(ApiError::param(
                        "/coupon_code",
                        "body",
                        "券码格式不合法 (a coupon code is 1–40 of [0-9A-Za-z_-])",
                    ));
                }
                Some(code)
                    if self.idx.code.contains_key(&code_key(&s.owner, code))
                        || self
                            .stocks
                            .iter()
                            .any(|x| x.owner == s.owner && x.codes.iter().any(|c| c == code)) =>
                {
                    return Err(refused(
                        None,
                        format!(
                            "券码已存在 (coupon_code {code:?} is already used by this brand; assign another)"
                        ),
                    ));
                }
                Some(_) => {}
            },
            _ => {}
        }
        let (begin, end) = validity(period_of(&s.stock), call.now);
        if end < begin || end < call.now {
            return Err(refused(
                None,
                format!(
                    "批次可用时间已结束 (stock {id}'s available period ended at {}; create a stock with a current period)",
                    timestamp(end)
                ),
            ));
        }
        Ok(())
    }

    /// The next coupon code of stock `i` (checked sendable).
    fn take_code(&mut self, i: usize, assigned: Option<&str>) -> String {
        let (owner, mode, stock_id) = match self.stocks.get(i) {
            Some(s) => (
                s.owner.clone(),
                s.stock.coupon_code_mode.clone(),
                s.stock.stock_id.as_str().to_owned(),
            ),
            None => return String::new(),
        };
        match mode {
            Some(CouponCodeMode::ApiAssign) => assigned.unwrap_or_default().to_owned(),
            Some(CouponCodeMode::Upload) => {
                let s = match self.stocks.get_mut(i) {
                    Some(s) => s,
                    None => return String::new(),
                };
                if !s.codes.is_empty() {
                    // "随机选取": any of the uploaded codes.
                    let pick = (crate::rng::random_u64() as usize) % s.codes.len();
                    return s.codes.swap_remove(pick);
                }
                s.seeded_codes -= 1;
                let mut n = s.uploaded_total.saturating_sub(s.seeded_codes);
                loop {
                    let code = format!("S{stock_id}{n:06}");
                    if !self.idx.code.contains_key(&code_key(&owner, &code)) {
                        return code;
                    }
                    n = n.saturating_add(1);
                }
            }
            _ => loop {
                self.seq.code = self.seq.code.wrapping_add(1);
                let code = format!(
                    "87{:010}{:04}",
                    self.seq.code,
                    crate::rng::random_u64() % 10_000
                );
                if !self.idx.code.contains_key(&code_key(&owner, &code)) {
                    return code;
                }
            },
        }
    }

    /// Issues one coupon of stock `i` (checked sendable) to the order's user.
    fn issue(
        &mut self,
        call: &Call<'_>,
        i: usize,
        order: &SendOrder,
        bundle: Option<UserCouponBundleInfo>,
    ) -> Result<(usize, Option<Notice>), ApiError> {
        let code = self.take_code(i, order.coupon_code.as_deref());
        let today = shanghai_day(call.now);
        let (owner, stock) = {
            let s = self
                .stocks
                .get_mut(i)
                .ok_or_else(|| super::internal("the stock vanished"))?;
            if s.sent_day != today {
                s.sent_day = today;
                s.sent_today = 0;
            }
            s.sent_total = s.sent_total.saturating_add(1);
            s.sent_today = s.sent_today.saturating_add(1);
            (s.owner.clone(), State::render_stock(s, call.now))
        };
        let product_coupon = self
            .product_coupons
            .get(&order.product_coupon_id)
            .map(|r| State::render_product_coupon(r, call.now));
        let (begin, end) = validity(period_of(&stock), call.now);
        let coupon = UserCoupon {
            coupon_code: code.as_str().into(),
            coupon_state: Some(UserCouponState::Confirming),
            valid_begin_time: Some(timestamp(begin)),
            valid_end_time: Some(timestamp(end)),
            receive_time: Some(timestamp(call.now)),
            send_request_no: Some(RequestNo::new(order.send_request_no.as_str())),
            send_channel: Some(order.channel.clone()),
            user_product_coupon_bundle_info: bundle,
            product_coupon,
            stock: Some(stock),
            attach: order.attach.clone(),
            coupon_tag_info: order.coupon_tag_info.clone(),
            ..UserCoupon::default()
        };
        self.users
            .entry(order.openid.clone())
            .or_insert_with(|| order.appid.clone());
        let record = CouponRecord {
            owner: owner.clone(),
            openid: order.openid.clone(),
            appid: order.appid.clone(),
            coupon,
            timed: true,
        };
        let notice = self.send_notice(&record, order.partner);
        Ok((self.push_coupon(record), notice))
    }

    /// The SEND notification of a new coupon, if a URL is configured: the
    /// brand's for brand-side sends, the service provider's (with `brand_id`)
    /// for partner-side ones.
    fn send_notice(&self, record: &CouponRecord, partner: bool) -> Option<Notice> {
        let key = if partner {
            sp_key(&self.mchid)
        } else {
            record.owner.clone()
        };
        let url = self.notify.get(&key)?.notify_url.clone()?;
        let c = &record.coupon;
        let stock = c.stock.as_ref();
        Some(Notice {
            url,
            event_type: if partner { EVENT_SP_SEND } else { EVENT_SEND },
            payload: ProductCouponEvent {
                brand_id: partner.then(|| crate::state::brand(&record.owner)),
                coupon_code: c.coupon_code.clone(),
                product_coupon_id: stock
                    .map(|s| s.product_coupon_id.clone())
                    .unwrap_or_default(),
                stock_id: stock.map(|s| s.stock_id.clone()).unwrap_or_default(),
                stock_bundle_id: stock
                    .and_then(|s| s.stock_bundle_info.as_ref())
                    .map(|b| b.stock_bundle_id.clone()),
                user_coupon_bundle_id: c
                    .user_product_coupon_bundle_info
                    .as_ref()
                    .and_then(|b| b.user_coupon_bundle_id.clone()),
                appid: Some(record.appid.as_str().into()),
                openid: record.openid.as_str().into(),
                unionid: Some(unionid_of(&record.openid).into()),
                receive_time: c.receive_time.clone(),
                send_request_no: c.send_request_no.clone(),
                send_channel: c.send_channel.clone(),
                valid_begin_time: c.valid_begin_time.clone(),
                valid_end_time: c.valid_end_time.clone(),
                phone_number: None,
                country_code: None,
                attach: c.attach.clone(),
                channel_custom_info: c.channel_custom_info.clone(),
            },
        })
    }

    /// The stocks one send addresses: the stock, or — for a step of a stock
    /// bundle — every step of its bundle (the user receives the whole bundle).
    fn send_targets(
        &self,
        call: &Call<'_>,
        pc: &str,
        stock_id: &str,
    ) -> Result<Vec<usize>, ApiError> {
        self.owned_product_coupon(call, pc, "body")?;
        let i = self.owned_stock(call, pc, stock_id, "body")?;
        let bundle = self
            .stocks
            .get(i)
            .and_then(|s| s.stock.stock_bundle_info.as_ref())
            .and_then(|b| self.bundles.get(b.stock_bundle_id.as_str()));
        Ok(match bundle {
            Some(b) => b
                .stock_ids
                .iter()
                .filter_map(|s| self.stock_index(s))
                .collect(),
            None => vec![i],
        })
    }

    /// Sends the coupons of `targets` (checked all-or-nothing); bundles get a
    /// new user bundle id. Returns the new coupons' positions.
    fn send_all(
        &mut self,
        call: &Call<'_>,
        targets: &[usize],
        order: &SendOrder,
    ) -> Result<(Vec<usize>, Vec<Notice>), ApiError> {
        self.check_user(&order.openid, &order.appid, "body", call)?;
        for &i in targets {
            self.check_sendable(call, i, &order.openid, order.coupon_code.as_deref())?;
        }
        let bundled = targets.len() > 1
            || targets
                .first()
                .and_then(|&i| self.stocks.get(i))
                .is_some_and(|s| s.stock.stock_bundle_info.is_some());
        let user_bundle = bundled.then(|| {
            self.seq.user_bundle = self.seq.user_bundle.wrapping_add(1);
            FIRST_USER_BUNDLE
                .wrapping_add(self.seq.user_bundle)
                .to_string()
        });
        let mut made = Vec::new();
        let mut notices = Vec::new();
        for (index, &i) in targets.iter().enumerate() {
            let info = user_bundle.as_ref().map(|id| UserCouponBundleInfo {
                user_coupon_bundle_id: Some(id.as_str().into()),
                user_coupon_bundle_index: Some(index as i64),
                total_count: Some(targets.len() as i64),
                used_count: Some(0),
            });
            // Only the first step may take an assigned code (codes are unique).
            let mut step = order.clone();
            if index > 0 {
                step.coupon_code = None;
            }
            let (k, notice) = self.issue(call, i, &step, info)?;
            made.push(k);
            notices.extend(notice);
        }
        Ok((made, notices))
    }

    /// `POST …/users/{openid}/coupons`: a `CONFIRMING` coupon and its SEND
    /// notification. A step of a stock bundle sends the whole bundle and
    /// answers that step's coupon.
    pub(crate) fn send_coupon(
        &mut self,
        call: &Call<'_>,
        body: SendUserProductCouponBody,
    ) -> Result<Reply<UserCoupon>, ApiError> {
        let openid = call.params.get("openid").to_owned();
        let targets = self.send_targets(
            call,
            body.product_coupon_id.as_str(),
            body.stock_id.as_str(),
        )?;
        let order = SendOrder {
            openid,
            appid: body.appid.as_str().to_owned(),
            product_coupon_id: body.product_coupon_id.as_str().to_owned(),
            coupon_code: body.coupon_code.map(|c| c.as_str().to_owned()),
            send_request_no: body.send_request_no.as_str().to_owned(),
            attach: body.attach,
            coupon_tag_info: body.coupon_tag_info,
            channel: SendChannel::Api,
            partner: call.partner(),
        };
        let (made, notices) = self.send_all(call, &targets, &order)?;
        let answer = made
            .iter()
            .filter_map(|&k| self.coupons.get(k))
            .find(|c| {
                c.coupon
                    .stock
                    .as_ref()
                    .is_some_and(|s| s.stock_id == body.stock_id)
            })
            .or_else(|| made.first().and_then(|&k| self.coupons.get(k)))
            .map(|c| State::render_coupon(c, call.now))
            .ok_or_else(|| super::internal("no coupon was made"))?;
        Ok(Reply { answer, notices })
    }

    /// `POST …/users/{openid}/pre-send-coupon`: checks the send would succeed
    /// and hands out a token valid for 5 minutes; the user claims it with
    /// `Sandbox::claim_pre_sent_coupon` (the receive component's part).
    pub(crate) fn pre_send_coupon(
        &mut self,
        call: &Call<'_>,
        body: PreSendUserProductCouponBody,
    ) -> Result<Reply<PreSendUserProductCouponResponse>, ApiError> {
        let openid = call.params.get("openid").to_owned();
        let targets = self.send_targets(
            call,
            body.product_coupon_id.as_str(),
            body.stock_id.as_str(),
        )?;
        self.check_user(&openid, body.appid.as_str(), "body", call)?;
        for &i in &targets {
            self.check_sendable(
                call,
                i,
                &openid,
                body.coupon_code.as_ref().map(|c| c.as_str()),
            )?;
        }
        let token = crate::credentials::random_hex::<16>()
            .map_err(|e| super::internal(format!("no randomness for the token: {e}")))?;
        self.presends.insert(
            token.clone(),
            PreSendRecord {
                owner: call.brand().to_owned(),
                openid,
                appid: body.appid.as_str().to_owned(),
                product_coupon_id: body.product_coupon_id.as_str().to_owned(),
                stock_id: body.stock_id.as_str().to_owned(),
                send_request_no: body.send_request_no.as_str().to_owned(),
                attach: body.attach,
                expires_at: call.now.saturating_add(PRE_SEND_TTL_SECS),
                partner: call.partner(),
                claimed: None,
            },
        );
        Ok(Reply::of(PreSendUserProductCouponResponse {
            token: Some(token),
        }))
    }

    /// The user claims a pre-sent coupon in the receive component: the same
    /// checks as a send, channel `RECEIVE_COMPONENT`.
    pub(crate) fn claim_pre_sent(
        &mut self,
        call: &Call<'_>,
        token: &str,
    ) -> Result<Reply<UserCoupon>, ApiError> {
        let record = self.presends.get(token).cloned().ok_or_else(|| {
            super::not_found(
                "token",
                "body",
                "未找到预发券令牌 (no pre-send with this token)",
            )
        })?;
        if record.claimed.is_some() {
            return Err(refused(
                None,
                "预发券已被领取 (this pre-sent coupon was already claimed)",
            ));
        }
        if call.now > record.expires_at {
            return Err(refused(
                None,
                format!(
                    "预发券令牌已过期 (the token expired at {}; pre-send again)",
                    timestamp(record.expires_at)
                ),
            ));
        }
        let call = Call {
            brand: Some(&record.owner),
            ..*call
        };
        let targets = self.send_targets(&call, &record.product_coupon_id, &record.stock_id)?;
        let order = SendOrder {
            openid: record.openid.clone(),
            appid: record.appid.clone(),
            product_coupon_id: record.product_coupon_id.clone(),
            coupon_code: None,
            send_request_no: record.send_request_no.clone(),
            attach: record.attach.clone(),
            coupon_tag_info: None,
            channel: SendChannel::ReceiveComponent,
            partner: record.partner,
        };
        let (made, notices) = self.send_all(&call, &targets, &order)?;
        let coupon = made
            .first()
            .and_then(|&k| self.coupons.get(k))
            .map(|c| State::render_coupon(c, call.now))
            .ok_or_else(|| super::internal("no coupon was made"))?;
        if let Some(p) = self.presends.get_mut(token) {
            p.claimed = Some(coupon.coupon_code.as_str().to_owned());
        }
        Ok(Reply {
            answer: coupon,
            notices,
        })
    }

    /// The addressed coupon, checked against the body's ids.
    fn addressed_coupon(
        &self,
        call: &Call<'_>,
        product_coupon_id: &str,
        stock_id: &str,
        appid: &str,
    ) -> Result<usize, ApiError> {
        let openid = call.params.get("openid");
        let code = call.params.get("coupon_code");
        let k = self.owned_coupon(call, openid, code)?;
        let c = self
            .coupons
            .get(k)
            .ok_or_else(|| super::internal("the coupon vanished"))?;
        let stock = c.coupon.stock.as_ref();
        let mismatch = |field: &str, sent: &str, actual: &str| {
            ApiError::invalid_request(format!(
                "{field} 与用户券不匹配 ({field} {sent:?} is not coupon {code}'s {actual:?})"
            ))
            .with_detail(
                Some(format!("/{field}")),
                "body",
                Some("mismatch".into()),
                None,
            )
        };
        let actual_pc = stock.map_or("", |s| s.product_coupon_id.as_str());
        if product_coupon_id != actual_pc {
            return Err(mismatch("product_coupon_id", product_coupon_id, actual_pc));
        }
        let actual_stock = stock.map_or("", |s| s.stock_id.as_str());
        if stock_id != actual_stock {
            return Err(mismatch("stock_id", stock_id, actual_stock));
        }
        if appid != c.appid {
            return Err(mismatch("appid", appid, &c.appid));
        }
        Ok(k)
    }

    /// Coupon `k`, when its state (as of `now`) is one of `allowed`;
    /// otherwise the refusal saying it cannot `doing`.
    fn coupon_in(
        &mut self,
        k: usize,
        now: i64,
        allowed: &[UserCouponState],
        doing: &str,
    ) -> Result<&mut CouponRecord, ApiError> {
        let c = self
            .coupons
            .get_mut(k)
            .ok_or_else(|| super::internal("gone"))?;
        let state = State::coupon_state(c, now);
        if !state.as_ref().is_some_and(|s| allowed.contains(s)) {
            return Err(Self::illegal(
                c.coupon.coupon_code.as_str(),
                state.as_ref(),
                doing,
            ));
        }
        Ok(c)
    }

    fn illegal(code: &str, state: Option<&UserCouponState>, doing: &str) -> ApiError {
        refused(
            Some(COUPON_STATE_ILLEGAL),
            format!(
                "用户券状态非法 (coupon {code} is {}: it cannot {doing})",
                state.map_or("-", |s| s.as_str())
            ),
        )
    }

    fn answer(&self, k: usize, now: i64) -> Result<UserCoupon, ApiError> {
        self.coupons
            .get(k)
            .map(|c| State::render_coupon(c, now))
            .ok_or_else(|| super::internal("the coupon vanished"))
    }

    /// `POST …/coupons/{code}/confirm`: `CONFIRMING` → `PENDING` / `EFFECTIVE`.
    pub(crate) fn confirm_coupon(
        &mut self,
        call: &Call<'_>,
        body: ConfirmUserProductCouponBody,
    ) -> Result<Reply<UserCoupon>, ApiError> {
        let k = self.addressed_coupon(
            call,
            body.product_coupon_id.as_str(),
            body.stock_id.as_str(),
            body.appid.as_str(),
        )?;
        let c = self.coupon_in(
            k,
            call.now,
            &[UserCouponState::Confirming],
            "be confirmed; only CONFIRMING coupons can",
        )?;
        c.coupon.coupon_state = Some(UserCouponState::Effective);
        c.coupon.confirm_request_no = Some(body.out_request_no.as_str().into());
        c.coupon.confirm_time = Some(timestamp(call.now));
        Ok(Reply::of(self.answer(k, call.now)?))
    }

    fn bundle_used(&mut self, k: usize, delta: i64) {
        let Some(id) = self
            .coupons
            .get(k)
            .and_then(|c| c.coupon.user_product_coupon_bundle_info.as_ref())
            .and_then(|b| b.user_coupon_bundle_id.clone())
        else {
            return;
        };
        let openid = self
            .coupons
            .get(k)
            .map(|c| c.openid.clone())
            .unwrap_or_default();
        let members: Vec<usize> = self
            .idx
            .by_openid
            .get(&openid)
            .into_iter()
            .flatten()
            .copied()
            .collect();
        for m in members {
            if let Some(info) = self
                .coupons
                .get_mut(m)
                .and_then(|c| c.coupon.user_product_coupon_bundle_info.as_mut())
                .filter(|b| b.user_coupon_bundle_id.as_ref() == Some(&id))
            {
                info.used_count = Some(info.used_count.unwrap_or(0).saturating_add(delta).max(0));
            }
        }
    }

    /// `POST …/coupons/{code}/use`: `EFFECTIVE` → `USED`.
    pub(crate) fn use_coupon(
        &mut self,
        call: &Call<'_>,
        body: UseUserProductCouponBody,
    ) -> Result<Reply<UserCoupon>, ApiError> {
        let k = self.addressed_coupon(
            call,
            body.product_coupon_id.as_str(),
            body.stock_id.as_str(),
            body.appid.as_str(),
        )?;
        let c = self
            .coupons
            .get_mut(k)
            .ok_or_else(|| super::internal("gone"))?;
        let code = c.coupon.coupon_code.as_str().to_owned();
        let state = State::coupon_state(c, call.now);
        match state {
            Some(UserCouponState::Effective) => {}
            Some(UserCouponState::Used) => {
                let by = c
                    .coupon
                    .single_usage_detail
                    .as_ref()
                    .or(c.coupon.progressive_bundle_usage_detail.as_ref())
                    .and_then(|d| d.use_request_no.as_ref())
                    .map_or("-", |n| n.as_str());
                return Err(refused(
                    Some(USED_BY_ANOTHER_ORDER),
                    format!(
                        "券已被其他订单核销 (coupon {code} was already used, by request {by}; resending that request returns its answer)"
                    ),
                ));
            }
            Some(UserCouponState::Pending) | Some(UserCouponState::Expired) => {
                return Err(refused(
                    Some(OUTSIDE_USABLE_PERIOD),
                    format!(
                        "不在券的可用时间内 (coupon {code} is {} — usable from {} to {})",
                        state.as_ref().map_or("-", |s| s.as_str()),
                        c.coupon
                            .valid_begin_time
                            .as_ref()
                            .map_or("-", |t| t.as_str()),
                        c.coupon.valid_end_time.as_ref().map_or("-", |t| t.as_str())
                    ),
                ));
            }
            other => {
                let doing = if other == Some(UserCouponState::Confirming) {
                    "be used before it is confirmed (未确认发放的券无法核销)"
                } else {
                    "be used"
                };
                return Err(Self::illegal(&code, other.as_ref(), doing));
            }
        }
        let detail = CouponUsageDetail {
            use_request_no: Some(body.out_request_no.as_str().into()),
            use_time: Some(body.use_time),
            associated_order_info: body.associated_order_info,
            associated_pay_score_order_info: body.associated_pay_score_order_info,
            return_request_no: None,
            return_time: None,
            saved_amount: None,
        };
        c.coupon.coupon_state = Some(UserCouponState::Used);
        if c.coupon.user_product_coupon_bundle_info.is_some() {
            c.coupon.progressive_bundle_usage_detail = Some(detail);
        } else {
            c.coupon.single_usage_detail = Some(detail);
        }
        self.bundle_used(k, 1);
        Ok(Reply::of(self.answer(k, call.now)?))
    }

    /// `POST …/coupons/{code}/return`: `USED` → `EFFECTIVE` again (shown
    /// `EXPIRED` when its validity has ended meanwhile).
    pub(crate) fn return_coupon(
        &mut self,
        call: &Call<'_>,
        body: ReturnUserProductCouponBody,
    ) -> Result<Reply<UserCoupon>, ApiError> {
        let k = self.addressed_coupon(
            call,
            body.product_coupon_id.as_str(),
            body.stock_id.as_str(),
            body.appid.as_str(),
        )?;
        let c = self.coupon_in(
            k,
            call.now,
            &[UserCouponState::Used],
            "be returned; only a USED coupon can",
        )?;
        c.coupon.coupon_state = Some(UserCouponState::Effective);
        let detail = c
            .coupon
            .single_usage_detail
            .as_mut()
            .or(c.coupon.progressive_bundle_usage_detail.as_mut());
        if let Some(detail) = detail {
            detail.return_request_no = Some(body.out_request_no.as_str().into());
            detail.return_time = Some(timestamp(call.now));
        }
        self.bundle_used(k, -1);
        Ok(Reply::of(self.answer(k, call.now)?))
    }

    /// Deactivates coupon `k` if its state allows it.
    fn deactivate_one(
        &mut self,
        k: usize,
        now: i64,
        number: &str,
        reason: &str,
    ) -> Result<(), ApiError> {
        let c = self.coupon_in(
            k,
            now,
            &[
                UserCouponState::Confirming,
                UserCouponState::Pending,
                UserCouponState::Effective,
            ],
            "be deactivated; only CONFIRMING, PENDING and EFFECTIVE coupons can",
        )?;
        c.coupon.coupon_state = Some(UserCouponState::Deactivated);
        c.coupon.deactivate_request_no = Some(number.into());
        c.coupon.deactivate_time = Some(timestamp(now));
        c.coupon.deactivate_reason = Some(reason.to_owned());
        Ok(())
    }

    /// `POST …/coupons/{code}/deactivate`: `CONFIRMING`/`PENDING`/`EFFECTIVE` → `DEACTIVATED`.
    pub(crate) fn deactivate_coupon(
        &mut self,
        call: &Call<'_>,
        body: DeactivateUserProductCouponBody,
    ) -> Result<Reply<UserCoupon>, ApiError> {
        let k = self.addressed_coupon(
            call,
            body.product_coupon_id.as_str(),
            body.stock_id.as_str(),
            body.appid.as_str(),
        )?;
        self.deactivate_one(
            k,
            call.now,
            body.out_request_no.as_str(),
            &body.deactivate_reason,
        )?;
        Ok(Reply::of(self.answer(k, call.now)?))
    }

    /// `GET …/coupons/{code}?appid=…`.
    pub(crate) fn get_coupon(&self, call: &Call<'_>) -> Result<UserCoupon, ApiError> {
        let openid = call.params.get("openid");
        let appid = required_appid(call)?;
        self.check_user(openid, appid, "query", call)?;
        let k = self.owned_coupon(call, openid, call.params.get("coupon_code"))?;
        let c = self
            .coupons
            .get(k)
            .ok_or_else(|| super::internal("the coupon vanished"))?;
        let stock = c.coupon.stock.as_ref();
        for (name, actual) in [
            (
                "product_coupon_id",
                stock.map(|s| s.product_coupon_id.as_str()),
            ),
            ("stock_id", stock.map(|s| s.stock_id.as_str())),
        ] {
            if let Some(sent) = call.query.non_empty(name)? {
                if Some(sent) != actual {
                    return Err(super::not_found(
                        name,
                        "query",
                        format!(
                            "未找到用户券 (coupon {} is not of {name} {sent:?})",
                            c.coupon.coupon_code
                        ),
                    ));
                }
            }
        }
        if c.appid != appid {
            return Err(ApiError::invalid_request(format!(
                "appid 与用户券不匹配 (coupon {} was received under appid {:?})",
                c.coupon.coupon_code, c.appid
            )));
        }
        Ok(State::render_coupon(c, call.now))
    }

    /// `GET …/users/{openid}/coupons` (page 002): the calling brand's coupons
    /// of the user, filtered on the state a read shows.
    pub(crate) fn list_coupons(
        &self,
        call: &Call<'_>,
    ) -> Result<ListUserCouponsResponse, ApiError> {
        let openid = call.params.get("openid");
        let query = call.query;
        let appid = required_appid(call)?;
        self.check_user(openid, appid, "query", call)?;
        if !self.users.contains_key(openid) {
            return Err(ApiError::invalid_request(format!(
                "传入的OpenID不合法,请使用参数 AppID 对应的的OpenID (openid {openid:?} does not belong to appid {appid:?})"
            ))
            .with_detail(Some("openid".into()), "path", Some("invalid openid".into()), None));
        }
        let product_coupon_id = query.non_empty("product_coupon_id")?;
        if let Some(id) = product_coupon_id {
            self.owned_product_coupon(call, id, "query")?;
        }
        let stock_id = query.non_empty("stock_id")?;
        if let Some(id) = stock_id {
            let exists = self
                .stock_index(id)
                .and_then(|i| self.stocks.get(i))
                .is_some_and(|s| {
                    product_coupon_id.is_none_or(|p| s.stock.product_coupon_id.as_str() == p)
                });
            if !exists {
                return Err(super::not_found(
                    "stock_id",
                    "query",
                    format!(
                        "未找到 stock_id 对应的商品券批次 (no stock {id:?}{} in the sandbox)",
                        product_coupon_id
                            .map(|p| format!(" under product coupon {p:?}"))
                            .unwrap_or_default()
                    ),
                ));
            }
        }
        let state: Option<UserCouponState> =
            known_state(query, "coupon_state", UserCouponState::is_unknown)?;
        let bundle = query.non_empty("user_coupon_bundle_id")?;
        let fp = fingerprint(&[
            ("endpoint", Some("list-user-coupons")),
            ("openid", Some(openid)),
            ("appid", Some(appid)),
            ("product_coupon_id", product_coupon_id),
            ("stock_id", stock_id),
            ("coupon_state", state.as_ref().map(UserCouponState::as_str)),
            ("user_coupon_bundle_id", bundle),
            ("brand", call.brand),
        ]);
        let matching: Vec<&CouponRecord> = self
            .idx
            .by_openid
            .get(openid)
            .into_iter()
            .flatten()
            .filter_map(|&k| self.coupons.get(k))
            .filter(|c| c.owner == call.brand())
            .filter(|c| {
                let stock = c.coupon.stock.as_ref();
                product_coupon_id
                    .is_none_or(|p| stock.is_some_and(|s| s.product_coupon_id.as_str() == p))
                    && stock_id.is_none_or(|id| stock.is_some_and(|s| s.stock_id.as_str() == id))
                    && bundle.is_none_or(|b| {
                        c.coupon
                            .user_product_coupon_bundle_info
                            .as_ref()
                            .and_then(|i| i.user_coupon_bundle_id.as_ref())
                            .is_some_and(|id| id.as_str() == b)
                    })
            })
            .filter(|c| state.is_none() || State::coupon_state(c, call.now) == state)
            .collect();
        let p = page(query, matching.len(), fp)?;
        Ok(ListUserCouponsResponse {
            total_count: p.first.then_some(matching.len() as i64),
            user_coupon_list: Some(
                matching
                    .get(p.start..p.end)
                    .unwrap_or_default()
                    .iter()
                    .map(|c| State::render_coupon(c, call.now))
                    .collect(),
            ),
            next_page_token: p.next_token.map(Into::into),
        })
    }

    /// `POST …/users/{openid}/coupon-bundles` (partner only): one coupon per
    /// step of the stock bundle.
    pub(crate) fn send_coupon_bundle(
        &mut self,
        call: &Call<'_>,
        body: SendUserCouponBundleBody,
    ) -> Result<Reply<UserCouponBundle>, ApiError> {
        let pc = body.product_coupon_id.as_str();
        self.owned_product_coupon(call, pc, "body")?;
        let bundle = self.owned_bundle(call, pc, body.stock_bundle_id.as_str(), "body")?;
        let targets: Vec<usize> = bundle
            .stock_ids
            .iter()
            .filter_map(|s| self.stock_index(s))
            .collect();
        let order = SendOrder {
            openid: call.params.get("openid").to_owned(),
            appid: body.appid.as_str().to_owned(),
            product_coupon_id: pc.to_owned(),
            coupon_code: body.coupon_code.map(|c| c.as_str().to_owned()),
            send_request_no: body.send_request_no.as_str().to_owned(),
            attach: body.attach,
            coupon_tag_info: body.coupon_tag_info,
            channel: SendChannel::Api,
            partner: call.partner(),
        };
        let (made, notices) = self.send_all(call, &targets, &order)?;
        let list: Vec<UserCoupon> = made
            .iter()
            .filter_map(|&k| self.coupons.get(k))
            .map(|c| State::render_coupon(c, call.now))
            .collect();
        let id = list
            .first()
            .and_then(|c| c.user_product_coupon_bundle_info.as_ref())
            .and_then(|b| b.user_coupon_bundle_id.clone());
        Ok(Reply {
            answer: UserCouponBundle {
                user_coupon_bundle_id: id,
                user_product_coupon_list: Some(list),
            },
            notices,
        })
    }

    /// `POST …/coupon-bundles/{id}/deactivate` (partner only): every coupon of
    /// the user's bundle that can still be deactivated.
    pub(crate) fn deactivate_coupon_bundle(
        &mut self,
        call: &Call<'_>,
        body: DeactivateUserCouponBundleBody,
    ) -> Result<Reply<UserCouponBundle>, ApiError> {
        let openid = call.params.get("openid");
        let id = call.params.get("user_coupon_bundle_id").to_owned();
        let members: Vec<usize> = self
            .idx
            .by_openid
            .get(openid)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&k| {
                self.coupons.get(k).is_some_and(|c| {
                    c.owner == call.brand()
                        && c.coupon
                            .user_product_coupon_bundle_info
                            .as_ref()
                            .and_then(|b| b.user_coupon_bundle_id.as_ref())
                            .is_some_and(|b| b.as_str() == id)
                })
            })
            .collect();
        if members.is_empty() {
            return Err(super::not_found(
                "user_coupon_bundle_id",
                "path",
                format!(
                    "未找到用户券包 (user {openid} holds no coupon bundle {id:?} of this brand)"
                ),
            ));
        }
        let open: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&k| {
                self.coupons.get(k).is_some_and(|c| {
                    matches!(
                        State::coupon_state(c, call.now),
                        Some(
                            UserCouponState::Confirming
                                | UserCouponState::Pending
                                | UserCouponState::Effective
                        )
                    )
                })
            })
            .collect();
        if open.is_empty() {
            return Err(refused(
                Some(COUPON_STATE_ILLEGAL),
                format!(
                    "用户券状态非法 (no coupon of bundle {id} can be deactivated: they are used, expired, deleted or deactivated already)"
                ),
            ));
        }
        for k in open {
            self.deactivate_one(
                k,
                call.now,
                body.out_request_no.as_str(),
                &body.deactivate_reason,
            )?;
        }
        let list: Vec<UserCoupon> = members
            .iter()
            .filter_map(|&k| self.coupons.get(k))
            .map(|c| State::render_coupon(c, call.now))
            .collect();
        Ok(Reply::of(UserCouponBundle {
            user_coupon_bundle_id: Some(id.as_str().into()),
            user_product_coupon_list: Some(list),
        }))
    }
}

fn required_appid<'q>(call: &Call<'q>) -> Result<&'q str, ApiError> {
    call.query.non_empty("appid")?.ok_or_else(|| {
        ApiError::param(
            "appid",
            "query",
            "缺少必填参数 appid (appid is required: pass the AppID the OpenID belongs to)",
        )
    })
}
