"""AES and RS256 through PyCryptodome (the Lambda package's one crypto library): the same
bytes as the cryptography package gave before the switch, so public request ids and
sealed contacts written earlier still open; and Cognito-style RS256 tokens are checked
as strictly as PyJWT's own cryptography-backed RS256. The cryptography package is a
dev-only dependency here (moto, joserfc), used as the reference."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.adapters import identity
from chalicelib.adapters.identity import InvalidToken, TokenVerifier, rsa_keys, verify_rs256
from chalicelib.adapters.sealing import SealBroken, gcm_open, gcm_seal
from chalicelib.config import CognitoSettings
from chalicelib.domain import request_ids, tracking

KEY = b"test-tracking-code-key"


# --- public request ids (AES-128, one block) --------------------------------------------------


def test_request_ids_are_the_ones_issued_before_the_switch():
    # Computed with the cryptography-based implementation, before PyCryptodome replaced it.
    assert request_ids.public_id("DYRFD-XF8Y7-8EXR", KEY) == "7r58rkfz46y3kf94nry79fq3mr"
    assert request_ids.tracking_code_of("7r58rkfz46y3kf94nry79fq3mr", KEY) == "DYRFD-XF8Y7-8EXR"


@settings(max_examples=100, deadline=None)
@given(block=st.binary(min_size=16, max_size=16), code_key=st.binary(min_size=1, max_size=40))
def test_the_id_cipher_is_aes_128_as_the_cryptography_package_computes_it(block, code_key):
    import hashlib
    import hmac

    key = hmac.new(code_key, b"crm-open311-request-id/v1", hashlib.sha256).digest()[:16]
    reference = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305 - one block, as in request_ids
    assert request_ids._cipher(code_key).encrypt(block) == reference.update(block) + reference.finalize()
    assert request_ids._cipher(code_key).decrypt(request_ids._cipher(code_key).encrypt(block)) == block


def test_ids_round_trip_for_new_codes():
    for _ in range(50):
        code = tracking.new_code()
        assert request_ids.tracking_code_of(request_ids.public_id(code, KEY), KEY) == code


# --- sealed contacts (AES-256-GCM) --------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    key=st.binary(min_size=32, max_size=32),
    nonce=st.binary(min_size=12, max_size=12),
    plaintext=st.binary(max_size=300),
    aad=st.binary(max_size=100),
)
def test_gcm_is_what_the_cryptography_package_seals_and_opens(key, nonce, plaintext, aad):
    sealed = gcm_seal(key, nonce, plaintext, aad)
    assert sealed == AESGCM(key).encrypt(nonce, plaintext, aad)  # tokens sealed before the switch still open
    assert gcm_open(key, nonce, sealed, aad) == plaintext
    assert AESGCM(key).decrypt(nonce, sealed, aad) == plaintext


@settings(max_examples=100, deadline=None)
@given(
    key=st.binary(min_size=32, max_size=32),
    nonce=st.binary(min_size=12, max_size=12),
    plaintext=st.binary(min_size=1, max_size=100),
    position=st.integers(min_value=0),
    flip=st.integers(min_value=1, max_value=255),
)
def test_a_changed_byte_does_not_open(key, nonce, plaintext, position, flip):
    sealed = bytearray(gcm_seal(key, nonce, plaintext, b"case=A"))
    sealed[position % len(sealed)] ^= flip
    with pytest.raises(SealBroken):
        gcm_open(key, nonce, bytes(sealed), b"case=A")
    with pytest.raises(SealBroken):  # nor with another context
        gcm_open(key, nonce, gcm_seal(key, nonce, plaintext, b"case=A"), b"case=B")
    with pytest.raises(SealBroken):
        gcm_open(key, nonce, b"short", b"case=A")


# --- RS256 ID tokens ----------------------------------------------------------------------------


def _b64(number: int) -> str:
    return base64.urlsafe_b64encode(number.to_bytes((number.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()


def _jwk(private_key, kid: str, **extra) -> dict:
    numbers = private_key.public_key().public_numbers()
    return {"kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid, "n": _b64(numbers.n), "e": _b64(numbers.e), **extra}


@pytest.fixture(scope="module")
def signer():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def stranger():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _token(private_key, claims=None, kid="k1", algorithm="RS256", **headers):
    return jwt.encode(claims or {"sub": "u1"}, private_key, algorithm=algorithm, headers={"kid": kid, **headers})


def test_rs256_signatures_by_a_published_key_verify(signer):
    keys = rsa_keys({"keys": [_jwk(signer, "k1")]})
    verify_rs256(_token(signer), keys)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("another key", "invalid"),
        ("unknown kid", "unknown_key"),
        ("payload changed", "invalid"),
        ("alg HS256", "invalid"),
        ("alg none", "invalid"),
        ("two parts", "invalid"),
        ("not base64url", "invalid"),
        ("header not JSON", "invalid"),
        ("kid not a string", "invalid"),
    ],
)
def test_what_is_not_an_rs256_signature_by_our_keys(signer, stranger, change, reason):
    keys = rsa_keys({"keys": [_jwk(signer, "k1")]})
    good = _token(signer)
    header, payload, signature = good.split(".")
    listed_kid = base64.urlsafe_b64encode(json.dumps({"alg": "RS256", "kid": ["k1"]}).encode()).decode().rstrip("=")
    token = {
        "another key": _token(stranger),
        "unknown kid": _token(signer, kid="k2"),
        "payload changed": f"{header}.{_token(signer, {'sub': 'admin'}).split('.')[1]}.{signature}",
        "alg HS256": jwt.encode({"sub": "u1"}, "s" * 32, algorithm="HS256", headers={"kid": "k1"}),
        "alg none": jwt.encode({"sub": "u1"}, None, algorithm="none", headers={"kid": "k1"}),
        "two parts": f"{header}.{payload}",
        "not base64url": f"{header}.{payload}.{signature[:10]}+{signature[11:]}",
        "header not JSON": f"{base64.urlsafe_b64encode(b'{nope').decode().rstrip('=')}.{payload}.{signature}",
        "kid not a string": f"{listed_kid}.{payload}.{signature}",
    }[change]
    with pytest.raises(InvalidToken) as refused:
        verify_rs256(token, keys)
    assert refused.value.reason == reason


@settings(max_examples=40, deadline=None)
@given(
    claims=st.dictionaries(
        st.sampled_from(["sub", "exp", "aud"]) | st.text(max_size=8), st.text(max_size=20), max_size=4
    ),
    cut=st.integers(0, 400),
)
def test_rs256_answers_as_pyjwts_own_rs256(signer, claims, cut):
    # Keys for claims' names: exp, nbf, iat... with any value (claims are checked later, by PyJWT).
    keys = rsa_keys({"keys": [_jwk(signer, "k1")]})
    token = _token(signer, claims)
    for candidate in (token, token[:cut] + token[cut + 1 :]):  # as sent, and with one character dropped
        try:
            jwt.PyJWS().decode(candidate, signer.public_key(), algorithms=["RS256"])  # the signature alone
            expected = True
        except jwt.InvalidTokenError:
            expected = False
        try:
            verify_rs256(candidate, keys)
            ours = True
        except InvalidToken:
            ours = False
        assert ours is expected, candidate


def test_only_rs256_signing_keys_of_2048_bits_or_more_are_taken(signer):
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - must be refused
    jwks = {
        "keys": [
            _jwk(signer, "good"),
            _jwk(small, "small"),
            _jwk(signer, "encryption", use="enc"),
            _jwk(signer, "other-alg", alg="RS512"),
            {"kty": "EC", "kid": "ec"},
            {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
            {"kty": "RSA", "n": _jwk(signer, "x")["n"], "e": "AQAB"},  # no kid
            "not an object",
        ]
    }
    assert set(rsa_keys(jwks)) == {"good"}
    assert rsa_keys({"keys": "nope"}) == {} and rsa_keys([]) == {}


# --- the verifier: claims, and when it fetches the pool's keys --------------------------------------

POOL = CognitoSettings(region="ap-southeast-3", user_pool_id="pool", client_id="client")


def _id_token(private_key, kid="k1", **claims):
    now = int(time.time())
    body = {
        "sub": "u1",
        "iss": POOL.issuer,
        "aud": "client",
        "iat": now,
        "exp": now + 600,
        "token_use": "id",
        **claims,
    }
    return _token(private_key, body, kid=kid)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def pool(signer, monkeypatch):
    """A verifier whose JWKS 'fetches' are counted and whose clock we move."""
    clock = Clock()
    monkeypatch.setattr(identity.time, "monotonic", clock)
    verifier = TokenVerifier(POOL)
    published = {"keys": [_jwk(signer, "k1")]}
    fetches = []

    def fetch():
        fetches.append(clock.now)
        return rsa_keys(published)

    monkeypatch.setattr(verifier, "_fetch_keys", fetch)
    return verifier, published, fetches, clock


def test_claims_are_checked_after_the_signature(pool, signer):
    verifier, *_ = pool
    assert verifier.verify("Bearer " + _id_token(signer))["sub"] == "u1"
    for claims, reason in [
        ({"exp": int(time.time()) - 120}, "expired"),
        ({"aud": "another-client"}, "invalid"),
        ({"iss": "https://cognito-idp.example/other"}, "invalid"),
        ({"nbf": int(time.time()) + 600}, "invalid"),
        ({"token_use": "access"}, "not_an_id_token"),
    ]:
        with pytest.raises(InvalidToken) as refused:
            verifier.verify(_id_token(signer, **claims))
        assert refused.value.reason == reason, claims
    token = _id_token(signer)
    no_sub = _token(
        signer, {k: v for k, v in jwt.decode(token, options={"verify_signature": False}).items() if k != "sub"}
    )
    with pytest.raises(InvalidToken, match="invalid"):
        verifier.verify(no_sub)


def test_keys_are_fetched_once_an_hour_and_for_a_new_kid_at_most_once_a_minute(pool, signer, stranger):
    verifier, published, fetches, clock = pool
    verifier.verify(_id_token(signer))
    verifier.verify(_id_token(signer))
    assert len(fetches) == 1
    for _ in range(5):  # forged kids do not make us fetch the JWKS again and again
        with pytest.raises(InvalidToken, match="invalid"):
            verifier.verify(_id_token(stranger, kid="forged"))
    assert len(fetches) == 1
    published["keys"].append(_jwk(stranger, "k2"))  # the pool rotates its keys
    clock.now += identity.UNKNOWN_KEY_REFETCH_SECONDS + 1
    assert verifier.verify(_id_token(stranger, kid="k2"))["sub"] == "u1"
    assert len(fetches) == 2
    clock.now += identity.KEYS_TTL_SECONDS + 1
    verifier.verify(_id_token(signer))
    assert len(fetches) == 3


def test_unreachable_keys_are_keys_unavailable(signer, monkeypatch):
    verifier = TokenVerifier(CognitoSettings("ap-southeast-3", "pool", "client", jwks_url="http://127.0.0.1:9/jwks"))
    with pytest.raises(InvalidToken) as refused:
        verifier.verify(_id_token(signer))
    assert refused.value.reason == "keys_unavailable"
