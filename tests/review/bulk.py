"""Many review tasks at once, for the inbox tests that compare 10 tasks with 1,000: copies of
one real task (made by the services), each on a declaration of its own. Going through the
services for each would take minutes; the copies hold exactly what the services wrote."""

from datetime import timedelta

from viewflow.workflow.models import Task

from declarations.models import Declaration
from review.models import ReviewTask

PARENT_FIELDS = [f.attname for f in Task._meta.concrete_fields if f.attname != "id"]
CHILD_FIELDS = [
    f.attname for f in ReviewTask._meta.local_concrete_fields if f.attname != "task_ptr_id"
]


def copy_declarations(declaration: Declaration, n: int, *, prefix: str) -> list[Declaration]:
    original = Declaration.objects.get(pk=declaration.pk)
    copies = []
    for i in range(n):
        copy = Declaration(
            **{f.attname: getattr(original, f.attname) for f in Declaration._meta.concrete_fields}
        )
        copy.pk = None
        copy.name = f"{prefix} {i:05d}"
        copies.append(copy)
    return Declaration.objects.bulk_create(copies, batch_size=1000)


def copy_task(task: ReviewTask, n: int, *, prefix: str = "批量申报表") -> list[int]:
    """n copies of the task, one minute apart in due time, each on its own copy of the
    declaration; returns their ids."""
    declarations = copy_declarations(task.declaration, n, prefix=prefix)
    parents = Task.objects.bulk_create(
        [Task(**{name: getattr(task, name) for name in PARENT_FIELDS}) for _ in declarations],
        batch_size=1000,
    )
    for i, (parent, declaration) in enumerate(zip(parents, declarations, strict=True)):
        child = ReviewTask(task_ptr_id=parent.pk, **{n: getattr(task, n) for n in CHILD_FIELDS})
        child.declaration = declaration
        child.due_at = task.due_at + timedelta(minutes=i + 1)
        child.save_base(raw=True, force_insert=True)
    return [parent.pk for parent in parents]
