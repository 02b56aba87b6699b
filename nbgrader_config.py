"""The repository is an nbgrader course.

Run nbgrader from the repository root: `solutions/` holds the source notebooks
(solutions, visible and hidden tests) and `exercises/` the student versions that
`nbgrader generate_assignment` makes from them.
"""

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "conv-layers"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"

# Hidden tests call the autograder package, which the kernel imports; give
# every graded cell time for a PyTorch import on a slow machine.
c.ExecutePreprocessor.timeout = 120
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
