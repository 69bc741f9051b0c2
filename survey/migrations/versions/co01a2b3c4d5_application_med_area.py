"""funding applications: the MED area an application comes from

Vejle's applications name the MED area (e.g. "FagMED Senior") besides the requested amount and the
themes the follow-up addresses; the memo counts applications and grants per area. Existing applications
get an empty area ("no area given").

Revision ID: co01a2b3c4d5
Revises: e5f6a7b8c9d0
Create Date: 2026-12-03 16:20:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'co01a2b3c4d5'
down_revision = 'e5f6a7b8c9d0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('funding_applications') as batch:
        batch.add_column(sa.Column('med_area', sa.String(length=200), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('funding_applications') as batch:
        batch.drop_column('med_area')
