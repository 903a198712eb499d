"""payment activity: banks' monthly QR payment reports per account (received, a count band, never an amount), the per-market rollup behind "paid by QR" (market_activity_months), the CSV uploads between check and write

Revision ID: b150fae7a261
Revises: 545478dc0d0e
Create Date: 2026-12-04 07:44:54.518430

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b150fae7a261'
down_revision = '545478dc0d0e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('payment_activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_account_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('received', sa.Boolean(), nullable=False),
    sa.Column('count_band', sa.String(length=8), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('reported_by_id', sa.Integer(), nullable=True),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("count_band IN ('0', '1-9', '10-49', '50-199', '200+')", name=op.f('ck_payment_activity_count_band')),
    sa.CheckConstraint("received = (count_band <> '0')", name=op.f('ck_payment_activity_received_band')),
    sa.CheckConstraint("source IN ('api', 'csv')", name=op.f('ck_payment_activity_source')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_payment_activity_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['payment_account_id'], ['payment_accounts.id'], name=op.f('fk_payment_activity_payment_account_id_payment_accounts')),
    sa.ForeignKeyConstraint(['reported_by_id'], ['users.id'], name=op.f('fk_payment_activity_reported_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_activity')),
    # One report per account and month: a new one replaces it (latest wins).
    sa.UniqueConstraint('payment_account_id', 'month', name=op.f('uq_payment_activity_payment_account_id_month'))
    )
    with op.batch_alter_table('payment_activity', schema=None) as batch_op:
        batch_op.create_index('ix_payment_activity_month', ['month'], unique=False)

    # Empty at first, like the reports: nothing to fill from the history.
    op.create_table('market_activity_months',
    sa.Column('market_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('stalls_reported', sa.Integer(), nullable=False),
    sa.Column('stalls_paid', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['market_id'], ['markets.id'], name=op.f('fk_market_activity_months_market_id_markets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('market_id', 'month', name=op.f('pk_market_activity_months'))
    )
    with op.batch_alter_table('market_activity_months', schema=None) as batch_op:
        batch_op.create_index('ix_market_activity_months_month', ['month'], unique=False)

    op.create_table('activity_uploads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('file_format', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('rows', sa.JSON(), nullable=False),
    sa.Column('ignored_columns', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('committed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('previewed', 'committed', 'failed')", name=op.f('ck_activity_uploads_status')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_activity_uploads_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_activity_uploads_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_uploads'))
    )
    with op.batch_alter_table('activity_uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_uploads_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_uploads_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('activity_uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_uploads_user_id'))
        batch_op.drop_index(batch_op.f('ix_activity_uploads_organisation_id'))

    op.drop_table('activity_uploads')
    with op.batch_alter_table('market_activity_months', schema=None) as batch_op:
        batch_op.drop_index('ix_market_activity_months_month')

    op.drop_table('market_activity_months')
    with op.batch_alter_table('payment_activity', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_activity_month')

    op.drop_table('payment_activity')
