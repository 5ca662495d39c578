def test_overview(as_manager, make, org):
    make.customer(org, name="Zeta Widgets")
    r = as_manager.get("/customers")
    assert "Zeta Widgets" in r.get_data(as_text=True)
    r = as_manager.get("/customers/new", htmx=True)
    assert "<dialog" in r.get_data(as_text=True), r.get_data(as_text=True)[:500]
