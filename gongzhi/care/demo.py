"""Demo data of care (step 48 of manage.py demo)."""


def run(log):
    log("care: nothing yet")
