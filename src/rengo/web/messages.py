"""Messages whose text is chosen at run time, marked for translation.

Templates show them with ``_(value)``; listing them here lets the catalogue check find them.
Stored codes with a fixed set of values (roles, target statuses, periods …) are vocabularies
instead (``rengo.core.vocabulary``), shown with the ``term`` filter in both languages.
"""

from rengo.web.i18n import N_

CHANGE_ACTIONS = (N_("create"), N_("update"), N_("import"))
AXES = (N_("Confidentiality"), N_("Integrity"), N_("Availability"))
