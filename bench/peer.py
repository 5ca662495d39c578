"""The peer: Flask-Admin's list view of the same customer table, as a generic admin would serve it.

Runs in the bench's own environment (.venv-peer: Flask-Admin is not a dependency of the portal), under the same
gunicorn settings as the portal, over the database the portal's run seeded (DATABASE_URL). It lists the first
organization's customers, 50 to a page, searchable by name and debtor ident, sortable by name."""
import os

from flask import Flask
from flask_admin import Admin
from flask_admin.contrib.sqla import ModelView
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
app.config.update(SQLALCHEMY_DATABASE_URI=os.environ["DATABASE_URL"], SECRET_KEY="bench-peer")
db = SQLAlchemy(app)


class Customer(db.Model):
    __tablename__ = "customer"
    id = db.Column(db.Integer, primary_key=True)
    organization_id = db.Column(db.Integer)
    status = db.Column(db.String)
    name = db.Column(db.String)
    debtor_ident = db.Column(db.String)
    account_number = db.Column(db.String)
    customer_type = db.Column(db.String)
    country = db.Column(db.String)
    currency = db.Column(db.String)
    created_at = db.Column(db.DateTime)


class CustomerList(ModelView):
    can_create = can_edit = can_delete = False
    page_size = 50
    column_list = ("name", "debtor_ident", "account_number", "customer_type", "country", "currency", "created_at")
    column_sortable_list = ("name", "debtor_ident", "created_at")
    column_default_sort = "name"
    column_searchable_list = ("name", "debtor_ident")

    # The same tenant and status as the portal's overview.
    def get_query(self):
        return super().get_query().filter(Customer.organization_id == 1, Customer.status == "active")

    def get_count_query(self):
        return super().get_count_query().filter(Customer.organization_id == 1, Customer.status == "active")


admin = Admin(app, name="peer")
admin.add_view(CustomerList(Customer, db.session, endpoint="customer"))
