"""drop sessions table

Revision ID: 9c1f2e
Revises: 4b7a10
"""
from alembic import op
import sqlalchemy as sa

revision = "9c1f2e"
down_revision = "4b7a10"


def upgrade():
    op.drop_table("sessions")


def downgrade():
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(64), primary_key=True),
    )
