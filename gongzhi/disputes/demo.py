"""The demo's disputes (filled in below)."""


def run(log):
    log("disputes: none")
