"""Revision bodies shared by every source's history (imported by the per-source
revision files; alembic puts ``azora_nb/migrations/`` on ``sys.path`` via ``prepend_sys_path``)."""
