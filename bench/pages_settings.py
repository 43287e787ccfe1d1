"""Settings for ``bench/pages.py``: the portal's own, plus one minimal signed-in page
(the ceiling every page is compared with). Not used outside the benchmark."""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "pages_urls"
