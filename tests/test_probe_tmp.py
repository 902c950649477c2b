def test_probe(people, app, login_as, session):
    c1 = app.test_client()
    login_as(c1, people["admin"])
    r = c1.get("/admin/users")
    print("admin", r.status_code)
    c2 = app.test_client()
    r = c2.get("/admin/users")
    print("anon", r.status_code, r.headers.get("Location"))
    from flask import g
    print("g keys", list(g.__dict__.keys()))
