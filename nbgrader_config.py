"""The repository is an nbgrader course.

Run nbgrader from the repository root: `solutions/` holds the source notebooks
(solutions, visible and hidden tests) and `exercises/` the student versions that
`nbgrader generate_assignment` makes from them.
"""

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "conv-layers"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.db_assignments = [
    {"name": "01-output-size"},
    {"name": "02-conv2d"},
    {"name": "03-padding"},
    {"name": "04-pooling"},
    {"name": "05-conv-vs-linear"},
    {"name": "06-receptive-field"},
    {"name": "07-separable"},
    {"name": "08-backward"},
]

# Hidden tests call the autograder package, which the kernel imports; give
# every graded cell time for a PyTorch import on a slow machine.
c.ExecutePreprocessor.timeout = 120
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
