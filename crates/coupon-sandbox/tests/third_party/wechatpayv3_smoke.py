"""Smoke test: the most used Python SDK, wechatpayv3, against a running sandbox.

It signs partner (service provider, WECHATPAY2-SHA256-RSA2048) calls with its
own code and verifies every 2xx answer itself (it refuses answers without
`Wechatpay-Signature-Type: WECHATPAY2-SHA256-RSA2048`), then verifies and
decrypts a sandbox notification. Not part of CI; run by hand:

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install wechatpayv3
    cargo build -p coupon-cli
    KD="$(mktemp -d)"
    target/debug/wxpay-coupon sandbox --keys-dir "$KD" &
    set -a; . "$KD/wxpay.env"; set +a
    target/debug/wxpay-coupon webhook sample --keys-dir "$KD" \\
        --headers-out "$KD/h.json" --body-out "$KD/b.json"
    /tmp/venv/bin/python crates/coupon-sandbox/tests/third_party/wechatpayv3_smoke.py "$KD/h.json" "$KD/b.json"
    kill %1

wechatpayv3 has no base-URL setting: the script points its core at the
sandbox (WXPAY_BASE_URL) through the core's gateway attribute; nothing else
of the SDK is changed.
"""

import json
import os
import sys
from datetime import datetime, timedelta, timezone

from wechatpayv3 import WeChatPay, WeChatPayType
from wechatpayv3.type import RequestType

PARTNER = "/v3/marketing/partner/product-coupon"


def env(name):
    value = os.environ.get(name)
    if not value:
        sys.exit(f"{name} is not set: source the sandbox's wxpay.env first")
    return value


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def rfc3339(moment):
    return moment.astimezone(timezone(timedelta(hours=8))).isoformat(timespec="seconds")


def main():
    brand = env("WXPAY_BRAND_ID")
    pay = WeChatPay(
        wechatpay_type=WeChatPayType.NATIVE,
        mchid=env("WXPAY_MCHID"),
        private_key=read(env("WXPAY_MCH_PRIVATE_KEY")),
        cert_serial_no=env("WXPAY_MCH_SERIAL_NO"),
        appid="wx233544546545989",
        apiv3_key=env("WXPAY_APIV3_KEY"),
        partner_mode=True,
        public_key=read(env("WXPAY_PUBLIC_KEY")),
        public_key_id=env("WXPAY_PUBLIC_KEY_ID"),
    )
    pay._core._gate_way = env("WXPAY_BASE_URL").rstrip("/")
    failures = []

    def check(what, ok, detail=""):
        print(("ok   " if ok else "FAIL ") + what + (f" — {detail}" if detail else ""))
        if not ok:
            failures.append(what)

    # A read: answered 200 and verified by the SDK (it raises otherwise).
    code, text = pay._core.request(f"{PARTNER}/product-coupons/1000000013?brand_id={brand}")
    check("GET get-product-coupon, answer verified by wechatpayv3", code == 200, text[:80])

    # A write: create a product coupon with its stock, signed over the exact JSON sent.
    now = datetime.now(timezone.utc)
    body = {
        "out_request_no": "py_smoke_" + now.strftime("%H%M%S%f"),
        "brand_id": brand,
        "scope": "ALL",
        "type": "NORMAL",
        "usage_mode": "SINGLE",
        "single_usage_info": {"normal_coupon": {"threshold": 10000, "discount_amount": 1000}},
        "display_info": {"name": "Python满减券", "image_url": "https://wxpaylogo.qpic.cn/wxpaylogo/py/1"},
        "stock": {
            "coupon_code_mode": "WECHATPAY",
            "stock_send_rule": {"max_count": 10, "max_count_per_user": 1},
            "single_usage_rule": {"coupon_available_period": {
                "available_begin_time": rfc3339(now - timedelta(days=1)),
                "available_end_time": rfc3339(now + timedelta(days=30)),
            }},
            "usage_rule_display_info": {"coupon_usage_method_list": ["OFFLINE"], "usage_description": "到店使用"},
            "coupon_display_info": {"code_display_mode": "QRCODE"},
            "notify_config": {"notify_appid": "wx233544546545989"},
            "store_scope": "NONE",
        },
    }
    code, text = pay._core.request(f"{PARTNER}/product-coupons", method=RequestType.POST, data=body)
    created = json.loads(text) if code == 200 else {}
    check("POST create-product-coupon, answer verified by wechatpayv3", code == 200, text[:120])

    # A send from the new stock.
    if created:
        send = {
            "brand_id": brand,
            "product_coupon_id": created["product_coupon_id"],
            "stock_id": created["stock"]["stock_id"],
            "appid": "wx233544546545989",
            "send_request_no": body["out_request_no"] + "_s",
        }
        code, text = pay._core.request(f"{PARTNER}/users/oPythonSmoke-00000000000001/coupons",
                                       method=RequestType.POST, data=send)
        check("POST send-user-product-coupon, answer verified", code == 200
              and json.loads(text).get("coupon_state") == "CONFIRMING", text[:120])

    # A refusal: a 4xx with code and message (wechatpayv3 does not verify non-2xx answers).
    code, text = pay._core.request(f"{PARTNER}/product-coupons/9999999999?brand_id={brand}")
    check("GET an unknown product coupon is a 404 NOT_FOUND", code == 404 and '"NOT_FOUND"' in text, text[:80])

    # A notification: verified and decrypted by wechatpayv3.
    if len(sys.argv) == 3:
        headers = json.loads(read(sys.argv[1]))
        plain = pay._core.decrypt_callback(headers, read(sys.argv[2]))
        event = json.loads(plain) if isinstance(plain, str) else plain
        check("a sandbox notification verifies and decrypts with wechatpayv3",
              isinstance(event, dict) and bool(event.get("coupon_code")), str(event)[:80])

    if failures:
        sys.exit(f"{len(failures)} check(s) failed")
    print("wechatpayv3 works against the sandbox")


if __name__ == "__main__":
    main()
