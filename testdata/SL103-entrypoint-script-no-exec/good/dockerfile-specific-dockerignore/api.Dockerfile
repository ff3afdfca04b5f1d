FROM python:3.12-slim
WORKDIR /srv
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY docker/entrypoint.sh /usr/local/bin/
COPY scripts/ /usr/local/bin/
COPY app.py .
ENTRYPOINT ["entrypoint.sh"]
CMD ["gunicorn", "app:app"]
