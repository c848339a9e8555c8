"""Test-client requests that leave no file open, as a WSGI server leaves none: an unclosed
file is a ResourceWarning when the garbage collector finds it, in whichever test runs then."""

import os
from pathlib import Path


def fetch(client, url: str, **kwargs):
    """The response to GET ``url``, read and closed as a server closes it once sent (a file
    the view sends stays open until the response is closed)."""
    with client.get(url, **kwargs) as response:
        response.get_data()
    return response


def close_request_body(response) -> None:
    """Close the body the test client sent: one over 500 KB it spools to a temp file that it
    leaves open."""
    response.request.environ["wsgi.input"].close()


def open_files_in(directory: Path) -> list[str]:
    """The files under ``directory`` that this process holds open (Linux's /proc)."""
    found = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed since the listing
            continue
        if target.startswith(f"{directory.resolve()}/"):
            found.append(target)
    return found
