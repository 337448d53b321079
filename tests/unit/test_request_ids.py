import secrets

from chalicelib.domain import request_ids, tracking

KEY = b"test-tracking-code-key"


def test_an_id_decrypts_to_its_tracking_code_in_any_case():
    for _ in range(200):
        code = tracking.new_code()
        public = request_ids.public_id(code, KEY)
        assert len(public) == request_ids.LENGTH
        assert request_ids.tracking_code_of(public, KEY) == code
        assert request_ids.tracking_code_of(public.upper(), KEY) == code


def test_ids_are_stable_and_depend_on_the_key():
    code = tracking.new_code()
    assert request_ids.public_id(code, KEY) == request_ids.public_id(code, KEY)
    assert request_ids.public_id(code, KEY) != request_ids.public_id(code, b"another key")
    assert request_ids.tracking_code_of(request_ids.public_id(code, KEY), b"another key") is None


def test_an_id_shows_nothing_of_the_code():
    code = tracking.new_code()
    public = request_ids.public_id(code, KEY)
    symbols = code.replace("-", "").lower()
    assert symbols[:6] not in public and symbols[-6:] not in public


def test_made_up_ids_are_not_ids():
    alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
    for _ in range(2000):
        guess = "".join(secrets.choice(alphabet) for _ in range(request_ids.LENGTH))
        assert request_ids.tracking_code_of(guess, KEY) is None
    for text in ("", "x", "4N50G-7M7G1-2X63", "!" * request_ids.LENGTH, "z" * request_ids.LENGTH, None):
        assert request_ids.tracking_code_of(text, KEY) is None


def test_a_changed_symbol_breaks_the_id():
    public = request_ids.public_id(tracking.new_code(), KEY)
    for position in range(len(public)):
        changed = public[:position] + ("1" if public[position] != "1" else "2") + public[position + 1 :]
        assert request_ids.tracking_code_of(changed, KEY) is None
