"""funding: a round belongs to a wave; applications get their MED area

- ``funding_rounds.questionnaire_id`` becomes optional: a new round covers the whole wave (every
  questionnaire, so criteria K1-K4 can meet); rounds made before keep their questionnaire and report.

Vejle's applications name the MED area (e.g. "FagMED Senior") besides the requested amount and the
themes the follow-up addresses; the memo counts applications and grants per area. Existing applications
get an empty area ("no area given").

Revision ID: co01a2b3c4d5
Revises: oi01a2b3c4d5
Create Date: 2026-12-03 16:20:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'co01a2b3c4d5'
down_revision = 'oi01a2b3c4d5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('funding_rounds') as batch:
        batch.alter_column('questionnaire_id', existing_type=sa.String(length=64), nullable=True)
    with op.batch_alter_table('funding_applications') as batch:
        batch.add_column(sa.Column('med_area', sa.String(length=200), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('funding_applications') as batch:
        batch.drop_column('med_area')
    # a whole-wave round has no questionnaire; the older schema needs one (the wave's first)
    op.execute(
        "UPDATE funding_rounds SET questionnaire_id = (SELECT min(wq.questionnaire_id) FROM "
        "wave_questionnaires wq WHERE wq.wave_id = funding_rounds.wave_id) WHERE questionnaire_id IS NULL"
    )
    with op.batch_alter_table('funding_rounds') as batch:
        batch.alter_column('questionnaire_id', existing_type=sa.String(length=64), nullable=False)
