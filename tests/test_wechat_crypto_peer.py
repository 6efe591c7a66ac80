"""hudong's WeChat message crypto agrees with an independent implementation, wechatpy's (issue #15.5): random
messages encrypted and signed by one are verified and decrypted by the other, both ways, with random keys."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hudong.connectors import wechat as W

crypto = pytest.importorskip("wechatpy.crypto", reason="the peer implementation: pip install wechatpy")

# an EncodingAESKey is 43 base64 characters: 32 random bytes without the padding
keys = st.binary(min_size=32, max_size=32).map(lambda b: base64.b64encode(b).decode()[:43])
app_ids = st.from_regex(r"wx[0-9a-f]{16}", fullmatch=True)
messages = st.text(max_size=3000)  # any Unicode text, empty and longer than many AES blocks included
nonces = st.from_regex(r"[0-9a-zA-Z]{1,16}", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(key=keys, app_id=app_ids, message=messages, nonce=nonces, token=st.from_regex(r"[A-Za-z0-9]{3,32}", fullmatch=True))
def test_wechatpy_reads_what_hudong_seals_and_hudong_reads_what_wechatpy_seals(key, app_id, message, nonce, token):
    peer = crypto.WeChatCrypto(token, key, app_id)
    timestamp = "1733472000"
    # wechatpy → hudong: the signature checks and the message comes out whole
    sealed = W.parse_xml(peer.encrypt_message(message, nonce, timestamp))
    assert W.signature(token, sealed["TimeStamp"], sealed["Nonce"], sealed["Encrypt"]) == sealed["MsgSignature"]
    assert W.decrypt(key, sealed["Encrypt"], app_id) == message
    # hudong → wechatpy: its own check of the signature and the app id pass
    mine = W.encrypt(key, message, app_id)
    sig = W.signature(token, timestamp, nonce, mine)
    envelope = f"<xml><ToUserName><![CDATA[gh_x]]></ToUserName><Encrypt><![CDATA[{mine}]]></Encrypt></xml>"
    assert peer.decrypt_message(envelope, sig, timestamp, nonce) == message
    with pytest.raises(W.SignatureError, match="not this account"):  # what wechatpy sealed is bound to its app id
        W.decrypt(key, sealed["Encrypt"], app_id[:-1] + ("1" if app_id.endswith("0") else "0"))
