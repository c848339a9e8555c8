"""The audit log: who changed what, when, with the state before and after.

Services call ``portal.audit.services.record()`` before they commit, so an entry exists
exactly when the change it describes does. The admin page lives in portal/admin."""
