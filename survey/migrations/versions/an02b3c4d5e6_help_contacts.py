"""annual: the organisation's own help contacts, set by HR

- ``help_contacts``: one row per kind (HR partner, work-environment representative, counselling) with a
  name, phone, e-mail and a short text in Danish and English; shown to respondents after the
  offensive-behaviour part and on the dialogue sheets.

Revision ID: an02b3c4d5e6
Revises: co01a2b3c4d5
Create Date: 2026-12-03 16:35:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'an02b3c4d5e6'
down_revision = 'co01a2b3c4d5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'help_contacts',
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('phone', sa.String(length=40), nullable=False),
        sa.Column('email', sa.String(length=200), nullable=False),
        sa.Column('text_da', sa.String(length=500), nullable=False),
        sa.Column('text_en', sa.String(length=500), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('hr', 'representative', 'counselling')", name=op.f('ck_help_contacts_kind_valid')
        ),
        sa.PrimaryKeyConstraint('kind', name=op.f('pk_help_contacts')),
    )


def downgrade():
    op.drop_table('help_contacts')
