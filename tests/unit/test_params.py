import pytest

from goalpost.model.ids import require_id
from goalpost.model.refusal import Refused
from goalpost.web.params import query_params
from goalpost.web.status import http_status


def ev(raw: str) -> dict[str, str]:
    return {"rawQueryString": raw}


def test_query_params_decodes_utf8_values() -> None:
    assert query_params(ev("a=1&adv_sub=caf%C3%A9")) == {"a": "1", "adv_sub": "café"}


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("amount=1&amount=2", "repeated"),
        ("adv_sub=%FF%FE", "UTF-8"),
        ("adv_sub=a%00b", "control"),
        ("adv_sub=" + "x" * 501, "longer than 500"),
        ("x=" + "y" * 9000, "longer than 8192"),
    ],
)
def test_query_params_refuses_malformed_input(raw: str, fragment: str) -> None:
    with pytest.raises(Refused) as caught:
        query_params(ev(raw))
    assert fragment in caught.value.reason
    assert 400 <= http_status(caught.value.code) < 500


def test_require_id_wants_a_number() -> None:
    assert require_id({"offer_id": "007"}, "offer_id") == "7"
    with pytest.raises(Refused):
        require_id({"offer_id": "1 OR 1=1"}, "offer_id")
    with pytest.raises(Refused):
        require_id({}, "offer_id")


def test_header_values_are_printable_ascii_and_bounded() -> None:
    from goalpost.web.responses import header_value

    assert header_value("aff_id must be a number, got '日'") == "aff_id must be a number, got '\\u65e5'"
    assert header_value("a\r\nb") == "a??b"
    assert len(header_value("x" * 1000)) == 200


def test_lenient_params_never_refuse_and_take_the_first_value() -> None:
    from goalpost.web.params import lenient_params

    event = {"rawQueryString": "a=l&a=lsr&format=json&x=%FF&" + "y" * 10000}
    assert lenient_params(event)["a"] == "l" and lenient_params(event)["format"] == "json"


def test_names_and_keyword_values_are_folded_and_data_values_kept() -> None:
    from goalpost.web.params import lenient_params

    assert query_params(ev("STATUS=Approved&Adv_Sub=AbC&A=LSR&Format=JSON")) == {
        "status": "approved", "adv_sub": "AbC", "a": "lsr", "format": "json",
    }  # fmt: skip
    assert lenient_params(ev("A=L&FORMAT=JSON&adv_sub=%FF")) == {
        "a": "l",
        "format": "json",
        "adv_sub": "\ufffd",
    }


def test_a_name_sent_twice_in_different_cases_is_a_repeat() -> None:
    with pytest.raises(Refused) as caught:
        query_params(ev("amount=1&Amount=2"))
    assert "repeated" in caught.value.reason
