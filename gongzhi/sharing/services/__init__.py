"""Every write of sharing. Other modules book a room with `book_room` (services/rooms.py,
its docstring is the contract)."""

from gongzhi.sharing.services.places import (  # noqa: F401
    category_create,
    category_update,
    hut_create,
    hut_update,
    item_create,
    item_retire,
    item_update,
    room_create,
    room_update,
)
from gongzhi.sharing.services.rooms import (  # noqa: F401
    book_room,
    booking_cancel,
    booking_change,
    booking_check_in,
    booking_decide,
    booking_no_show,
    check_rules,
    describe,
    room_close,
    series_book,
    series_cancel,
    series_change,
)
from gongzhi.sharing.services.tools import (  # noqa: F401
    card_token,
    check_in,
    check_out,
    hold_cancel,
    hold_place,
    holds_expire,
    item_repair,
    remind_loans,
    renew,
    resident_from_card,
)
