"""HTML pages: every module here with a ``router`` is mounted; its ``NAV`` joins the menu."""
