def roles(request):
    """Whether to show the audit log in the navigation."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from workflow.selectors import is_overseer

    return {"is_overseer": is_overseer(user)}
