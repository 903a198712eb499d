"""Flask extensions, created unbound here and bound to an app in ``create_app``.

Flask-Migrate is not among them: it is set up only when a migration runs
(:func:`market4.database_setup.enable_migrations`).
"""

from flask_babel import Babel
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from market4.db import Base
from market4.read_replica import RoutingSession

db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
