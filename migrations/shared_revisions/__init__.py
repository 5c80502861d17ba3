"""Revision bodies shared by every source's history (imported by the per-source
revision files; alembic puts ``migrations/`` on ``sys.path`` via ``prepend_sys_path``)."""
